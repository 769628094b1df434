using System.Globalization;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Payments;
using Gateway.Schedules;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// Payment schedules by stored card (administrators): each schedule's upcoming dates and past occurrences with
/// their transactions, and a cancel button (the API's delete: unprocessed payments only).
/// </summary>
[Tags("Console")]
public sealed class ConsoleSchedulesApi(ScheduleStore store, ScheduleService schedules, CardVault vault, ConsoleRun run)
{
    /// <summary>Schedules shown per page, and the upcoming dates shown per schedule.</summary>
    public const int PageSize = 50;
    public const int Upcoming = 5;

    [Function(nameof(ConsoleSchedules)), AllowAnonymous]
    [EndpointSummary("Payment schedules by stored card, with upcoming and past occurrences (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleSchedules(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/schedules")] HttpRequest request) =>
        run.PageAsync(request, "schedules", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var org = user.Organisation.Id;
            var cancel = request.HttpContext.RequestAborted;
            var list = new List<PaymentSchedule>();
            await foreach (var s in store.ShownAsync(org, 0, null, null, cancel))
            {
                if (list.Count == PageSize) break;
                list.Add(s);
            }
            // Every card and every schedule's occurrences are read together: a page costs one round trip of latency
            // for them however many schedules it shows.
            var guids = list.Select(s => s.CardGuid).Distinct().ToList();
            var cardReads = Task.WhenAll(guids.Select(guid => vault.GetAsync(org, guid, cancel)));
            var occurrenceReads = Task.WhenAll(list.Select(s => store.OccurrencesAsync(org, s.Id, cancel)));
            await Task.WhenAll(cardReads, occurrenceReads);
            var cards = guids.Zip(await cardReads).ToDictionary(p => p.First, p => p.Second);
            var past = list.Zip(await occurrenceReads).ToDictionary(p => p.First.Id, p => p.Second);
            var done = Paging.Query(request, "done") == "cancelled" ? "The schedule is cancelled: nothing more will be charged." : null;
            return new ConsolePage("Schedules", Body(user, list, cards, past, done)) { User = user, Section = "schedules" };
        });

    [Function(nameof(ConsoleScheduleCancel)), AllowAnonymous]
    [EndpointSummary("Cancel a schedule's unprocessed payments (administrators).")]
    [ProducesResponseType(303), PageErrors(403, 404, 409)]
    public Task<IResult> ConsoleScheduleCancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/schedules/{id}/cancel")] HttpRequest request, string id) =>
        run.FormAsync(request, "schedules", async (user, _) =>
        {
            ConsoleRun.RequireAdministrator(user);
            await schedules.DeleteAsync(user.Organisation, Ids.ParseOrNotFound(id, "Payment schedule"), CancellationToken.None);
            return new PageRedirect("/console/schedules?done=cancelled");
        });

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Markup Body(ConsoleUser user, List<PaymentSchedule> list, Dictionary<Guid, StoredCard?> cards,
        Dictionary<long, List<Occurrence>> past, string? done)
    {
        Markup Schedule(PaymentSchedule s)
        {
            var upcoming = Enumerable.Range(s.Next, Math.Max(0, Math.Min(Upcoming, s.Count - s.Next))).Select(i => Day(s.DateOf(i)));
            var history = Html.Join(past[s.Id].Select(o => Html.Of($"""
                <li>{Day(o.Date)}: <a href="/console/transactions/{o.TransactionId}">{o.Status}</a>{(o.Reason is null ? Markup.Empty : Html.Of($" ({o.Reason})"))}</li>
                """)));
            var cancel = s.State != ScheduleStates.Active ? Markup.Empty : Html.Of($"""
                <form method="post" action="/console/schedules/{s.Id}/cancel">{user.CsrfField}<button type="submit" class="danger" aria-label="Cancel schedule {s.Id}">Cancel</button></form>
                """);
            return Html.Of($"""
                <tr><td>{s.Id}</td><td>{s.Reference}</td><td>{s.Interval}</td><td class="num">{Money.Display(s.AmountMinor, s.Currency)}</td><td>{s.Next} of {s.Count}</td><td>{s.State}</td>
                <td>{string.Join(", ", s.State == ScheduleStates.Active ? upcoming : [])}</td><td><ul>{history}</ul></td><td>{cancel}</td></tr>
                """);
        }
        var groups = Html.Join(list.GroupBy(s => s.CardGuid).Select(g => Html.Of($"""
            <h2>Card {(cards[g.Key] is { } card ? card.Masked : "deleted")}</h2>
            <div class="table" tabindex="0"><table><thead><tr><th scope="col">Id</th><th scope="col">Reference</th><th scope="col">Interval</th><th scope="col" class="num">Amount</th><th scope="col">Done</th><th scope="col">State</th><th scope="col">Upcoming</th><th scope="col">Past</th><th scope="col">Action</th></tr></thead>
            <tbody>{Html.Join(g.Select(Schedule))}</tbody></table></div>
            """)));
        return Html.Of($"""
            <h1>Payment schedules</h1>
            {ConsolePage.Notice(done)}
            {(list.Count == 0 ? Html.Of($"<p class=\"note\">No payment schedules.</p>") : groups)}
            """);
    }
}
