using Gateway.Api;
using Gateway.Cashier;
using Gateway.HostedPages;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// The cashier's payouts waiting for the merchant (administrators): approve or reject each, with the API's
/// exactly-once rule (a payout decided one way refuses the other).
/// </summary>
[Tags("Console")]
public sealed class ConsolePayoutsApi(CashierStore store, CashierService cashier, ConsoleRun run, TimeProvider time)
{
    /// <summary>How far back the page looks for payouts still waiting.</summary>
    public const int Days = 30;

    [Function(nameof(ConsolePayouts)), AllowAnonymous]
    [EndpointSummary("Cashier payouts waiting for approval (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsolePayouts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/payouts")] HttpRequest request) =>
        run.PageAsync(request, "payouts", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var now = time.GetUtcNow();
            var waiting = new List<CashierTransaction>();
            await foreach (var t in store.ListAsync(user.Organisation.Id, now.AddDays(-Days), now.AddDays(1), request.HttpContext.RequestAborted))
            {
                if (t is { Type: CashierTypes.Withdrawal, Stage: CashierStages.Requested, Decision: null }) waiting.Add(t);
            }
            var done = Paging.Query(request, "done") switch
            {
                "approved" => "Approved: the provider pays it out shortly.",
                "rejected" => "Rejected.",
                _ => null,
            };
            return new ConsolePage("Payouts", Body(user, waiting, done)) { User = user, Section = "payouts" };
        });

    [Function(nameof(ConsolePayoutDecide)), AllowAnonymous]
    [EndpointSummary("Approve or reject a waiting payout (decision=approve|reject; administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 404, 409)]
    public Task<IResult> ConsolePayoutDecide(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/payouts/{id}")] HttpRequest request, string id) =>
        run.FormAsync(request, "payouts", async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            switch (form.Text("decision", 8))
            {
                case "approve":
                    await cashier.ApproveAsync(user.Organisation, id, CancellationToken.None);
                    return new PageRedirect("/console/payouts?done=approved");
                case "reject":
                    await cashier.RejectAsync(user.Organisation, id, CancellationToken.None);
                    return new PageRedirect("/console/payouts?done=rejected");
                default:
                    throw ApiException.BadRequest("decision: must be approve or reject.");
            }
        });

    private static Markup Body(ConsoleUser user, List<CashierTransaction> waiting, string? done)
    {
        var zone = ApiTime.Zone(user.Organisation.TimeZone);
        Markup Decide(CashierTransaction t, string decision, string label, string style) => Html.Of($"""
            <form method="post" action="/console/payouts/{t.PublicId}">{user.CsrfField}{Html.Hidden("decision", decision)}<button type="submit" class="{style}">{label}</button></form>
            """);
        var rows = Html.Join(waiting.Select(t => Html.Of($"""
            <tr><td>{t.PublicId}</td><td>{ApiTime.Show(t.Created, zone)}</td><td>{t.UserId}</td><td>{t.PayoutBank} {t.PayoutAccountMasked}</td>
            <td class="num">{Money.Display(t.AmountMinor, t.Currency)}</td><td><div class="actions">{Decide(t, "approve", "Approve", "primary")}{Decide(t, "reject", "Reject", "danger")}</div></td></tr>
            """)));
        return Html.Of($"""
            <h1>Payouts waiting for approval</h1>
            {ConsolePage.Notice(done)}
            {(waiting.Count == 0 ? Html.Of($"<p class=\"note\">None waiting (last {Days} days).</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Id</th><th scope="col">Requested</th><th scope="col">User</th><th scope="col">To</th><th scope="col" class="num">Amount</th><th scope="col">Decision</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """))}
            """);
    }
}
