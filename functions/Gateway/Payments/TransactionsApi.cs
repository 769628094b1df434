using System.Globalization;
using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Payments;

/// <summary>Viewing, listing, exporting and refunding transactions (the documents' Transaction, Recon &amp; Exports).</summary>
public static class TransactionsApi
{

    public static void MapTransactions(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("").RequireAuthorization(Policies.PaymentUser).WithTags("Transactions");
        users.MapFunction(Functions.TransactionView, ViewAsync)
            .WithSummary("View a transaction by id.").ProducesApiErrors(401, 403, 404);
        users.MapFunction(Functions.TransactionFind, FindAsync)
            .WithSummary("View the newest transaction with a merchant reference (?reference=) or of a payment key (?key=).")
            .ProducesApiErrors(400, 401, 403, 404);
        users.MapFunction(Functions.UserTransactionList, ListByUserAsync)
            .WithSummary("List a user's transactions (from_date/to_date dd-mm-yyyy, limit, page_token). Agents may list only their own.")
            .ProducesApiErrors(400, 401, 403, 404);

        var merchants = app.MapGroup("").RequireAuthorization(Policies.PaymentAdministrator).WithTags("Transactions");
        merchants.MapFunction(Functions.OrganisationTransactionList, ListByOrganisationAsync)
            .WithSummary("List an organisation's transactions, oldest first (from_date/to_date dd-mm-yyyy, limit, page_token); " +
                "a Link header (rel=next) and X-Next-Page-Token give the next page when there is one.")
            .ProducesApiErrors(400, 401, 403, 404);
        merchants.MapFunction(Functions.TransactionExport, ExportAsync)
            .WithSummary("Download the organisation's transactions as CSV (from_date/to_date dd-mm-yyyy).")
            .Produces(200, contentType: "text/csv").ProducesApiErrors(400, 401, 403);
        merchants.MapFunction(Functions.TransactionRefund, RefundAsync)
            .WithSummary("Refund a settled transaction, fully or partly (amount). Honours Idempotency-Key.")
            .AcceptsForm<RefundForm>().AcceptsIdempotencyKey().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422);
    }

    private static async Task<Ok<TransactionView>> ViewAsync(string id, Caller caller, PaymentStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var transaction = await store.GetAsync(organisation.Id, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        return TypedResults.Ok(TransactionView.From(transaction, ApiTime.Zone(organisation.TimeZone)));
    }

    private static async Task<Ok<TransactionView>> FindAsync(HttpRequest request, Caller caller, PaymentStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var reference = Paging.Query(request, "reference");
        var key = Paging.Query(request, "key");
        var transaction = (reference, key) switch
        {
            ({ } r, null) => await store.FindByMerchantReferenceAsync(organisation.Id, r, cancellationToken),
            (null, { } k) => k.Length == 32 && k.All(char.IsAsciiHexDigitLower) ? await store.FindByPaymentKeyAsync(organisation.Id, k, cancellationToken) : null,
            _ => throw ApiException.BadRequest("Give exactly one of ?reference= or ?key=, or use /api/v1/gateway-transaction/{id}."),
        };
        return TypedResults.Ok(TransactionView.From(transaction ?? throw PaymentService.TransactionNotFound(), ApiTime.Zone(organisation.TimeZone)));
    }

    private static Task<Ok<TransactionListItem[]>> ListByOrganisationAsync(string id, HttpContext http, Caller caller, PaymentStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        caller.ScopeOrganisation(id);
        return ListAsync(http, organisation, userId: null, store, cancellationToken);
    }

    private static async Task<Ok<TransactionListItem[]>> ListByUserAsync(string id, HttpContext http, Caller caller, PaymentStore store, IdentityStore identity, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        if (caller.User is { } user && !caller.IsAdministrator && user.Id != userId)
        {
            throw ApiException.Forbidden("Agents can only list their own transactions.");
        }
        if (caller.User?.Id != userId && await identity.GetUserAsync(organisation.Id, userId, cancellationToken) is null)
        {
            throw UserService.UserNotFound();
        }
        return await ListAsync(http, organisation, userId, store, cancellationToken);
    }

    /// <summary>
    /// A plain array, as documented; at most <c>limit</c> (default 500) per response. When more remain, the
    /// <c>Link: &lt;...&gt;; rel="next"</c> and <c>X-Next-Page-Token</c> headers say how to fetch them.
    /// </summary>
    private static async Task<Ok<TransactionListItem[]>> ListAsync(HttpContext http, Organisation organisation, long? userId, PaymentStore store, CancellationToken cancellationToken)
    {
        var zone = ApiTime.Zone(organisation.TimeZone);
        var (from, to) = DateRange(http.Request, zone);
        var paging = Paging.Read(http.Request);
        var items = await paging.TakeAsync(http, store.ListAsync(organisation.Id, from, to, userId, paging.AfterId, cancellationToken)
            .Select(t => TransactionListItem.From(t, zone)), t => t.Id);
        return TypedResults.Ok(items);
    }

    private static async Task ExportAsync(HttpContext http, Caller caller, PaymentStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var zone = ApiTime.Zone(organisation.TimeZone);
        var (from, to) = DateRange(http.Request, zone);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"gateway-transactions-{organisation.Id}.csv\"";
        await http.Response.WriteAsync(Csv.Row(TransactionCsv.Header), cancellationToken);
        // Streamed a service page at a time: an export of any size holds one page in memory.
        var written = 0;
        await foreach (var t in store.ListAsync(organisation.Id, from, to, null, 0, cancellationToken))
        {
            await http.Response.WriteAsync(Csv.Row(TransactionCsv.Cells(t, zone)), cancellationToken);
            if (++written % 200 == 0) await http.Response.Body.FlushAsync(cancellationToken);
        }
    }

    private static async Task<IResult> RefundAsync(string id, HttpContext http, RequestForm form, Caller caller, RefundService refunds,
        Idempotency idempotency)
    {
        // Runs to its end even if the caller leaves (see PaymentsApi): a refund must not stop half-booked.
        var cancellationToken = CancellationToken.None;
        var organisation = caller.RequireOrganisation();
        var transactionId = Ids.ParseOrNotFound(id, "Transaction");
        long? amount = form.Root.Has("amount") ? Money.Parse(form.Root, "amount") : null;
        return await idempotency.RunAsync(http, organisation.Id, form,
            scope => refunds.RefundAsync(organisation, transactionId, amount, scope, cancellationToken), cancellationToken);
    }

    /// <summary><c>from_date</c> and <c>to_date</c> (dd-mm-yyyy, both days included) as instants in the organisation's zone.</summary>
    public static (DateTimeOffset? From, DateTimeOffset? To) DateRange(HttpRequest request, TimeZoneInfo zone)
    {
        var from = Day(request, "from_date", zone, 0);
        var to = Day(request, "to_date", zone, 1);
        if (from > to) throw ApiException.BadRequest("from_date", "must not be after to_date.");
        return (from, to);
    }

    private static DateTimeOffset? Day(HttpRequest request, string name, TimeZoneInfo zone, int addDays)
    {
        if (Paging.Query(request, name) is not { } text) return null;
        if (!DateOnly.TryParseExact(text, "dd-MM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) || day.Year is < 1900 or > 9000)
        {
            throw ApiException.BadRequest(name, "must be a date as dd-mm-yyyy, e.g. 19-02-2024.");
        }
        var local = day.AddDays(addDays).ToDateTime(TimeOnly.MinValue);
        // Where midnight is skipped by a clock change, the day starts at the first valid minute after it.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}

/// <summary>The export's columns.</summary>
public static class TransactionCsv
{
    public static readonly string[] Header =
    [
        "id", "created", "status", "successful", "amount", "refunded_amount", "currency", "merchant_reference", "customer_reference",
        "gateway_reference", "payment_key", "service", "gateway", "card", "reason", "is_demo_transaction",
    ];

    public static IEnumerable<string?> Cells(PaymentTransaction t, TimeZoneInfo zone) =>
    [
        t.Id.ToString(CultureInfo.InvariantCulture), ApiTime.Show(t.Created, zone), t.Status, t.Successful ? "1" : "0",
        Money.Format(t.ShownAmountMinor), Money.Format(t.RefundedMinor), t.Currency, t.MerchantReference, t.CustomerReference,
        t.GatewayReference, t.PaymentKey, t.Service, t.Gateway, t.Response["card"]?.GetValue<string>(), t.Reason, t.IsDemo ? "1" : "0",
    ];
}
