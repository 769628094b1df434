using System.Globalization;
using Gateway.HostedPages;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>One day's business: what was taken, of how many attempts, and how many went through.</summary>
public sealed record DayFigures(DateOnly Day, long VolumeMinor, int Count, int Successful)
{
    public string SuccessRate => Count == 0 ? "–" : (Successful * 100.0 / Count).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}

/// <summary>The console's home: today's and the last 30 days' volume, count and success rate, as a chart and a table.</summary>
[Tags("Console")]
public sealed class ConsoleHomeApi(PaymentStore payments, ConsoleRun run, TimeProvider time)
{
    public const int Days = 30;

    [Function(nameof(ConsoleHome)), AllowAnonymous]
    [EndpointSummary("The console's home: the last 30 days' figures (an agent's own transactions only).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    public Task<IResult> ConsoleHome(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/home")] HttpRequest request) =>
        run.PageAsync(request, "home", async user =>
        {
            var zone = ApiTime.Zone(user.Organisation.TimeZone);
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(user.Organisation.Now(time), zone).DateTime);
            var days = await FiguresAsync(user, today, zone, request.HttpContext.RequestAborted);
            return new ConsolePage("Home", Body(days, user.Organisation.Currency)) { User = user, Section = "home" };
        });

    private async Task<List<DayFigures>> FiguresAsync(ConsoleUser user, DateOnly today, TimeZoneInfo zone,
        CancellationToken cancellationToken)
    {
        var first = today.AddDays(1 - Days);
        var start = first.ToDateTime(TimeOnly.MinValue);
        var from = new DateTimeOffset(start, zone.GetUtcOffset(start)).ToUniversalTime();
        var byDay = Enumerable.Range(0, Days).ToDictionary(i => first.AddDays(i), i => new DayFigures(first.AddDays(i), 0, 0, 0));
        await foreach (var t in payments.ListAsync(user.Organisation, from, null, user.OwnTransactionsOnly, 0, cancellationToken))
        {
            var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t.Created, zone).DateTime);
            if (!byDay.TryGetValue(day, out var f)) continue;
            byDay[day] = f with
            {
                Count = f.Count + 1, Successful = f.Successful + (t.Successful ? 1 : 0),
                VolumeMinor = f.VolumeMinor + (t.Successful ? t.ShownAmountMinor - t.RefundedMinor : 0),
            };
        }
        return [.. byDay.Values.OrderBy(d => d.Day)];
    }

    private static Markup Body(List<DayFigures> days, string currency)
    {
        var today = days[^1];
        var month = new DayFigures(days[0].Day, days.Sum(d => d.VolumeMinor), days.Sum(d => d.Count), days.Sum(d => d.Successful));
        Markup Card(string label, DayFigures f) => Html.Of($"""
            <div><span>{label}</span><strong>{Money.Display(f.VolumeMinor, currency)}</strong>
            <span>{f.Count} transactions, {f.SuccessRate} successful</span></div>
            """);
        var rows = Html.Join(days.AsEnumerable().Reverse().Select(d => Html.Of($"""
            <tr><td>{d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}</td><td class="num">{Money.Display(d.VolumeMinor, currency)}</td><td class="num">{d.Count}</td><td class="num">{d.SuccessRate}</td></tr>
            """)));
        return Html.Of($"""
            <h1>Home</h1>
            <div class="cards">{Card("Today", today)}{Card("Last 30 days", month)}</div>
            <h2 id="chart-title">Volume per day, last 30 days</h2>
            {Chart(days, currency)}
            <div class="table" tabindex="0"><table aria-labelledby="chart-title">
            <thead><tr><th scope="col">Day</th><th scope="col" class="num">Volume</th><th scope="col" class="num">Transactions</th><th scope="col" class="num">Successful</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    /// <summary>
    /// An SVG bar chart drawn on the server (no script): one bar a day, each with its figure as a title; the table
    /// below carries the same numbers for screen readers and for reading exactly.
    /// </summary>
    private static Markup Chart(List<DayFigures> days, string currency)
    {
        const int width = 600, height = 160, gap = 4;
        var max = Math.Max(1, days.Max(d => d.VolumeMinor));
        var bar = (width - gap * (days.Count - 1)) / (double)days.Count;
        var bars = Html.Join(days.Select((d, i) =>
        {
            var h = Math.Max(d.VolumeMinor > 0 ? 2 : 0, (int)Math.Round(d.VolumeMinor * (double)height / max));
            var x = (int)Math.Round(i * (bar + gap));
            return Html.Of($"""<rect x="{x}" y="{height - h}" width="{(int)Math.Floor(bar)}" height="{h}"><title>{d.Day.ToString("d MMM", CultureInfo.InvariantCulture)}: {Money.Display(d.VolumeMinor, currency)}</title></rect>""");
        }));
        return Html.Of($"""
            <svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">{bars}</svg>
            """);
    }
}
