using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Webhooks;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// The console's transactions: a search, a page per transaction with its status history, refunds and (for
/// administrators) webhook attempts, and the refund and resend forms. Agents see only their own transactions and
/// can neither refund nor see receivers' answers.
/// </summary>
[Tags("Console")]
public sealed partial class ConsoleTransactionsApi(PaymentStore payments, RefundService refunds, Idempotency idempotency,
    WebhookLog log, PaymentEvents events, ConsoleRun run, TimeProvider time)
{
    /// <summary>Rows per page of the list: a page reads this many (and one more), however many match.</summary>
    public const int PageSize = 50;

    private const string Section = "transactions";

    [Function(nameof(ConsoleTransactions)), AllowAnonymous]
    [EndpointSummary("Search transactions: q (id, reference, gateway reference or payment key), status, amount, from, to.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(400)]
    public Task<IResult> ConsoleTransactions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/transactions")] HttpRequest request) =>
        run.PageAsync(request, Section, async user =>
        {
            var search = Search.Read(request, ApiTime.Zone(user.Organisation.TimeZone));
            var (rows, next) = await FindAsync(user, search, request.HttpContext.RequestAborted);
            return new ConsolePage("Transactions", ListBody(user, search, rows, next)) { User = user, Section = Section };
        });

    [Function(nameof(ConsoleTransactionExport)), AllowAnonymous]
    [EndpointSummary("The transactions the search finds (status, amount, from, to), as CSV in the API export's columns.")]
    [ProducesResponseType(typeof(string), 200, "text/csv"), ProducesResponseType(303), PageErrors(400)]
    public Task<IResult> ConsoleTransactionExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/export")] HttpRequest request) =>
        run.PageAsync(request, Section, user =>
        {
            var search = Search.Read(request, ApiTime.Zone(user.Organisation.TimeZone));
            request.HttpContext.Response.Headers.CacheControl = "no-store";
            // Streamed a storage page at a time, like the API's export: any size holds one page in memory.
            return Task.FromResult(Results.Stream(async body =>
            {
                await using var csv = new StreamWriter(body, new System.Text.UTF8Encoding(false));
                await csv.WriteAsync(Csv.Row(TransactionCsv.Header));
                await foreach (var t in payments.ListAsync(user.Organisation, search.Start(search.From),
                    search.Start(search.To?.AddDays(1)), user.OwnTransactionsOnly, 0, CancellationToken.None))
                {
                    if (search.Matches(t)) await csv.WriteAsync(Csv.Row(TransactionCsv.Cells(t, search.Zone)));
                }
            }, "text/csv; charset=utf-8", $"transactions-{user.Organisation.Id}.csv"));
        });

    [Function(nameof(ConsoleTransaction)), AllowAnonymous]
    [EndpointSummary("One transaction: details, status history, refunds, webhook attempts, and the refund form.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(404)]
    public Task<IResult> ConsoleTransaction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/transactions/{id}")] HttpRequest request, string id) =>
        run.PageAsync(request, Section, async user =>
        {
            var cancel = request.HttpContext.RequestAborted;
            var t = await VisibleAsync(user, id, cancel);
            // The history, the refunds and (for administrators) the attempts, read together.
            var history = payments.EventsAsync(user.Organisation.Id, t.Id, cancel);
            var booked = payments.RefundsAsync(user.Organisation.Id, t.Id, cancel);
            var attempts = user.IsAdministrator
                ? log.ByTransactionAsync(user.Organisation.Id, t.Id, cancel)
                : Task.FromResult(new List<WebhookAttempt>());
            await Task.WhenAll(history, booked, attempts);
            var done = Paging.Query(request, "done") switch
            {
                "refund" => "The refund is booked.",
                "resend" => "The latest webhook is queued for delivery again.",
                _ => null,
            };
            return new ConsolePage($"Transaction {t.Id}", DetailBody(user, t, await history, await booked, await attempts, done))
            {
                User = user, Section = Section,
            };
        });

    [Function(nameof(ConsoleRefund)), AllowAnonymous]
    [EndpointSummary("Refund a transaction, fully or partly, once confirmed (administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 404, 409)]
    public Task<IResult> ConsoleRefund(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/transactions/{id}/refund")] HttpRequest request,
        string id) =>
        run.FormAsync(request, Section, async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            // An administrator sees every transaction of the organisation: the refund's own read finds it or 404s.
            var transactionId = Ids.ParseOrNotFound(id, "Transaction");
            if (form.Text("confirm", 3) != "yes") throw ApiException.BadRequest("Tick the box to confirm the refund.");
            long? amount = form.Text("amount", 16) is null ? null : Money.Parse(form, "amount");
            var key = form.Text("form_key", 64);
            if (key is null || !FormKey().IsMatch(key)) throw ApiException.BadRequest("This form is incomplete; reload the page.");
            // The same race-safe refund as the API, under a key made when the form was shown: a double click refunds once.
            await idempotency.RunAsync(request.HttpContext, "console-" + key, user.Organisation.Id,
                IdempotencyPlace.Transaction(transactionId), RequestForm.FromJson(new System.Text.Json.Nodes.JsonObject { ["amount"] = amount }),
                scope => refunds.RefundAsync(user.Organisation, transactionId, amount, scope, CancellationToken.None),
                CancellationToken.None);
            return new PageRedirect($"/console/transactions/{transactionId}?done=refund");
        });

    [Function(nameof(ConsoleWebhookResend)), AllowAnonymous]
    [EndpointSummary("Deliver the transaction's latest webhook event again, to its usual URL (administrators).")]
    [ProducesResponseType(303), PageErrors(403, 404)]
    public Task<IResult> ConsoleWebhookResend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/transactions/{id}/resend")] HttpRequest request,
        string id) =>
        run.FormAsync(request, Section, async (user, _) =>
        {
            ConsoleRun.RequireAdministrator(user);
            // The organisation's own partition: another organisation's id finds no event.
            var transactionId = Ids.ParseOrNotFound(id, "Transaction");
            var latest = await payments.LatestEventAsync(user.Organisation.Id, transactionId, CancellationToken.None)
                ?? throw ApiException.NotFound("The transaction has no webhook event yet.");
            var message = WebhookMessage.For(latest) with { Chain = WebhookMessage.ManualChain(time.GetUtcNow()) };
            await events.Queue.SendMessageAsync(message.ToJson(), CancellationToken.None);
            return new PageRedirect($"/console/transactions/{transactionId}?done=resend");
        });

    [GeneratedRegex("^[A-Za-z0-9_-]{22}$")]
    private static partial Regex FormKey();

    /// <summary>The transaction, if this user may see it; another organisation's or (for an agent) another user's is 404.</summary>
    private async Task<PaymentTransaction> VisibleAsync(ConsoleUser user, string id, CancellationToken cancellationToken)
    {
        var t = Ids.TryParse(id, out var number) ? await payments.GetAsync(user.Organisation.Id, number, cancellationToken) : null;
        if (t is null || (user.OwnTransactionsOnly is { } own && t.UserId != own)) throw ApiException.NotFound("No such transaction.");
        return t;
    }

    /// <summary>What the search form asks for; the dates are the organisation's days.</summary>
    private sealed record Search(string? Query, string? Status, long? AmountMinor, DateOnly? From, DateOnly? To, long After,
        TimeZoneInfo Zone)
    {
        public static Search Read(HttpRequest request, TimeZoneInfo zone)
        {
            var status = Paging.Query(request, "status");
            if (status is not null && !Statuses.Contains(status)) throw ApiException.BadRequest("status: is not a status.");
            long? amount = null;
            if (Paging.Query(request, "amount") is { } a)
            {
                amount = Money.TryParse(a, out var minor) ? minor : throw ApiException.BadRequest("amount: must be an amount, e.g. 10.00.");
            }
            var after = Paging.Query(request, "after") is { } p
                ? Ids.TryParse(p, out var id) ? id : throw ApiException.BadRequest("after: is not a page of this list.")
                : 0;
            return new Search(Paging.Query(request, "q"), status, amount, Date(request, "from"), Date(request, "to"), after, zone);
        }

        private static DateOnly? Date(HttpRequest request, string name) => Paging.Query(request, name) is { } text
            ? DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
                : throw ApiException.BadRequest($"{name}: must be a date as YYYY-MM-DD.")
            : null;

        public DateTimeOffset? Start(DateOnly? day)
        {
            if (day is not { } d) return null;
            var local = d.ToDateTime(TimeOnly.MinValue);
            return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
        }

        public bool Matches(PaymentTransaction t) =>
            (Status is null || t.Status == Status) && (AmountMinor is null || t.ShownAmountMinor == AmountMinor);

        public string Link(long after)
        {
            var query = new Dictionary<string, string?>
            {
                ["q"] = Query, ["status"] = Status, ["amount"] = AmountMinor is { } m ? Money.Format(m) : null,
                ["from"] = From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["to"] = To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["after"] = after.ToString(CultureInfo.InvariantCulture),
            };
            return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/console/transactions",
                query.Where(p => p.Value is not null));
        }
    }

    private static readonly string[] Statuses =
    [
        TransactionStatus.Pending, TransactionStatus.Complete, TransactionStatus.Failed, TransactionStatus.Refunded,
        TransactionStatus.PartiallyRefunded, TransactionStatus.Authorised, TransactionStatus.Reversed,
    ];

    /// <summary>
    /// A reference, gateway reference, payment key or id finds its transaction directly; otherwise the list pages
    /// through the date range in id order, reading only as far as one page of matches.
    /// </summary>
    private async Task<(List<PaymentTransaction> Rows, long? Next)> FindAsync(ConsoleUser user, Search search,
        CancellationToken cancellationToken)
    {
        var org = user.Organisation;
        if (search.Query is { } q)
        {
            // The four lookups go together: one round trip of latency, not four.
            var found = await Task.WhenAll(
                Ids.TryParse(q, out var id) ? payments.GetAsync(org.Id, id, cancellationToken) : Task.FromResult<PaymentTransaction?>(null),
                payments.FindByMerchantReferenceAsync(org, q, cancellationToken),
                payments.FindByGatewayReferenceAsync(org, q, cancellationToken),
                payments.FindByPaymentKeyAsync(org, q, cancellationToken));
            return ([.. found.OfType<PaymentTransaction>().DistinctBy(t => t.Id)
                .Where(t => (user.OwnTransactionsOnly is not { } own || t.UserId == own) && search.Matches(t))], null);
        }
        var rows = new List<PaymentTransaction>();
        var to = search.Start(search.To?.AddDays(1));
        await foreach (var t in payments.ListAsync(org, search.Start(search.From), to, user.OwnTransactionsOnly, search.After,
            cancellationToken))
        {
            if (!search.Matches(t)) continue;
            if (rows.Count == PageSize) return (rows, rows[^1].Id);
            rows.Add(t);
        }
        return (rows, null);
    }

    private static Markup ListBody(ConsoleUser user, Search search, List<PaymentTransaction> rows, long? next)
    {
        var zone = search.Zone;
        var options = Html.Join(new[] { "" }.Concat(Statuses).Select(s => s == (search.Status ?? "")
            ? Html.Of($"<option value=\"{s}\" selected>{(s.Length == 0 ? "Any" : s)}</option>")
            : Html.Of($"<option value=\"{s}\">{(s.Length == 0 ? "Any" : s)}</option>")));
        var body = rows.Count == 0
            ? Html.Of($"<p>No transactions match.</p>")
            : Html.Of($"""
                <div class="table" tabindex="0"><table>
                <caption class="note">Oldest first{(user.IsAdministrator ? Markup.Empty : Html.Of($"; only your own transactions"))}</caption>
                <thead><tr><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Reference</th><th scope="col">Status</th><th scope="col" class="num">Amount</th></tr></thead>
                <tbody>{Html.Join(rows.Select(t => Html.Of($"""
                    <tr><td><a href="/console/transactions/{t.Id}">{t.Id}</a></td><td>{ApiTime.Show(t.Created, zone)}</td><td>{t.MerchantReference}</td><td>{t.Status}</td><td class="num">{Money.Display(t.ShownAmountMinor, t.Currency)}</td></tr>
                    """)))}</tbody>
                </table></div>
                """);
        var more = next is { } n ? Html.Of($"<p><a href=\"{search.Link(n)}\">Next page</a></p>") : Markup.Empty;
        var export = Html.Of($"<p><a href=\"{search.Link(0).Replace("/console/transactions", "/console/export", StringComparison.Ordinal)}\">Download these as CSV</a></p>");
        return Html.Of($"""
            <h1>Transactions</h1>
            <form class="search" method="get" action="/console/transactions" role="search">
            <div><label for="q">Id, reference or payment key</label><input type="text" id="q" name="q" value="{search.Query}"></div>
            <div><label for="status">Status</label><select id="status" name="status">{options}</select></div>
            <div><label for="amount">Amount</label><input type="text" id="amount" name="amount" inputmode="decimal" value="{(search.AmountMinor is { } a ? Money.Format(a) : null)}"></div>
            <div><label for="from">From</label><input type="date" id="from" name="from" value="{search.From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"></div>
            <div><label for="to">To</label><input type="date" id="to" name="to" value="{search.To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"></div>
            <div class="actions"><button type="submit" class="primary">Search</button></div>
            </form>
            {body}
            {more}
            {export}
            """);
    }

    private static Markup DetailBody(ConsoleUser user, PaymentTransaction t, List<OutboxEvent> history, List<BookedRefund> booked,
        List<WebhookAttempt> attempts, string? done)
    {
        var zone = ApiTime.Zone(user.Organisation.TimeZone);
        var card = t.Response["card"]?.ToString();
        var historyRows = Html.Join(history.Select(e => Html.Of($"<tr><td>{ApiTime.Show(e.Created, zone)}</td><td>{e.Status}</td><td>{e.Kind}</td><td>{e.Delivery}</td></tr>")));
        var attemptRows = Html.Join(attempts.Select(a => Html.Of($"""
            <tr><td>{ApiTime.Show(a.Time, zone)}</td><td>{a.Url}</td><td>{(a.StatusCode is { } s ? s.ToString(CultureInfo.InvariantCulture) : a.Error)}</td><td class="num">{a.LatencyMs} ms</td><td>{Excerpt(a.ResponseBody)}</td></tr>
            """)));
        var webhooks = !user.IsAdministrator ? Markup.Empty : Html.Of($"""
            <h2>Webhook attempts</h2>
            {(attempts.Count == 0 ? Html.Of($"<p class=\"note\">None yet.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Time</th><th scope="col">URL</th><th scope="col">Answer</th><th scope="col" class="num">Latency</th><th scope="col">Excerpt</th></tr></thead>
                <tbody>{attemptRows}</tbody></table></div>
                """))}
            {Html.When(history.Count > 0, Html.Of($"""
                <form method="post" action="/console/transactions/{t.Id}/resend">{user.CsrfField}<div class="actions"><button type="submit">Resend the latest webhook</button></div></form>
                """))}
            """);
        var refunds = booked.Count == 0 ? Html.Of($"<p class=\"note\">No refunds.</p>") : Html.Of($"""
            <div class="table" tabindex="0"><table><thead><tr><th scope="col">Booked</th><th scope="col" class="num">Amount</th></tr></thead>
            <tbody>{Html.Join(booked.Select(r => Html.Of($"<tr><td>{ApiTime.Show(r.Booked, zone)}</td><td class=\"num\">{Money.Display(r.AmountMinor, t.Currency)}</td></tr>")))}</tbody></table></div>
            """);
        var refundable = t.RefundableMinor;
        var refund = !user.IsAdministrator || refundable <= 0 ? Markup.Empty : Html.Of($"""
            <h2>Refund</h2>
            <form method="post" action="/console/transactions/{t.Id}/refund">
            {user.CsrfField}{Html.Hidden("form_key", Secrets.Base64Url(16))}
            <label for="amount">Amount to refund ({t.Currency}; up to {Money.Format(refundable)})</label>
            <input type="text" id="amount" name="amount" inputmode="decimal" value="{Money.Format(refundable)}">
            <label class="check"><input type="checkbox" name="confirm" value="yes" required> I confirm this refund to the payer</label>
            <div class="actions"><button type="submit" class="danger">Refund</button></div>
            </form>
            """);
        return Html.Of($"""
            <h1>Transaction {t.Id}</h1>
            {ConsolePage.Notice(done)}
            <dl class="summary">
            <dt>Status</dt><dd>{t.Status}</dd>
            <dt>Amount</dt><dd>{Money.Display(t.ShownAmountMinor, t.Currency)}</dd>
            <dt>Refunded</dt><dd>{Money.Display(t.RefundedMinor, t.Currency)}</dd>
            <dt>Created</dt><dd>{ApiTime.Show(t.Created, zone)}</dd>
            <dt>Reference</dt><dd>{t.MerchantReference}</dd>
            <dt>Gateway reference</dt><dd>{t.GatewayReference}</dd>
            <dt>Payment key</dt><dd>{t.PaymentKey}</dd>
            <dt>Card</dt><dd>{card ?? "–"}</dd>
            <dt>User</dt><dd>{t.Username ?? "–"}</dd>
            <dt>Reason</dt><dd>{t.Reason ?? "–"}</dd>
            </dl>
            <h2>Status history</h2>
            <div class="table" tabindex="0"><table><thead><tr><th scope="col">Time</th><th scope="col">Status</th><th scope="col">Webhook</th><th scope="col">Delivery</th></tr></thead>
            <tbody>{historyRows}</tbody></table></div>
            <h2>Refunds</h2>
            {refunds}
            {webhooks}
            {refund}
            """);
    }

    /// <summary>The start of a receiver's answer, enough to see what went wrong.</summary>
    private static string? Excerpt(string? body) => body is null ? null : body.Length <= 120 ? body : body[..120] + "…";
}
