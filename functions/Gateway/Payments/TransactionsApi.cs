using System.Globalization;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Payments;

/// <summary>Viewing, listing, exporting and refunding transactions (the documents' Transaction, Recon &amp; Exports).</summary>
[Tags("Transactions")]
public sealed class TransactionsApi(PaymentStore store, IdentityStore identity, RefundService refunds, Idempotency idempotency)
{
    [Function(nameof(TransactionView)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("View a transaction by id."), ApiErrors(401, 403, 404)]
    public async Task<Ok<TransactionView>> TransactionView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/gateway-transaction/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var transaction = await store.GetAsync(organisation.Id, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        return TypedResults.Ok(Payments.TransactionView.From(transaction, ApiTime.Zone(organisation.TimeZone)));
    }

    [Function(nameof(TransactionFind)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("View the newest transaction with a merchant reference (?reference=) or of a payment key (?key=).")]
    [ApiErrors(400, 401, 403, 404)]
    public async Task<Ok<TransactionView>> TransactionFind(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/gateway-transaction")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var reference = Paging.Query(request, "reference");
        var key = Paging.Query(request, "key");
        var transaction = (reference, key) switch
        {
            ({ } r, null) => await store.FindByMerchantReferenceAsync(organisation, r, cancellationToken),
            (null, { } k) => k.Length == 32 && k.All(char.IsAsciiHexDigitLower)
                ? await store.FindByPaymentKeyAsync(organisation, k, cancellationToken)
                : null,
            _ => throw ApiException.BadRequest(
                "Give exactly one of ?reference= or ?key=, or use /api/v1/gateway-transaction/{id}."),
        };
        return TypedResults.Ok(Payments.TransactionView.From(transaction ?? throw PaymentService.TransactionNotFound(),
            ApiTime.Zone(organisation.TimeZone)));
    }

    [Function(nameof(UserTransactionList)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("List a user's transactions (from_date/to_date dd-mm-yyyy, limit, page_token). Agents may list " +
        "only their own.")]
    [ApiErrors(400, 401, 403, 404)]
    public async Task<Ok<TransactionListItem[]>> UserTransactionList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/user/{id}/gateway-transaction")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
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
        return await ListAsync(request, organisation, userId, cancellationToken);
    }

    [Function(nameof(OrganisationTransactionList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("List an organisation's transactions, oldest first (from_date/to_date dd-mm-yyyy, limit, " +
        "page_token); a Link header (rel=next) and X-Next-Page-Token give the next page when there is one.")]
    [ApiErrors(400, 401, 403, 404)]
    public Task<Ok<TransactionListItem[]>> OrganisationTransactionList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/gateway-transaction")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        caller.ScopeOrganisation(id);
        return ListAsync(request, organisation, userId: null, cancellationToken);
    }

    /// <summary>
    /// A plain array, as documented; at most <c>limit</c> (default 500) per response. When more remain, the
    /// <c>Link: &lt;...&gt;; rel="next"</c> and <c>X-Next-Page-Token</c> headers say how to fetch them.
    /// </summary>
    private async Task<Ok<TransactionListItem[]>> ListAsync(HttpRequest request, Organisation organisation, long? userId,
        CancellationToken cancellationToken)
    {
        var zone = ApiTime.Zone(organisation.TimeZone);
        var (from, to) = DateRange(request, zone);
        var paging = Paging.Read(request);
        var items = await paging.TakeAsync(request.HttpContext,
            store.ListAsync(organisation, from, to, userId, paging.AfterId, cancellationToken, pageSize: paging.Limit + 1)
                .Select(t => TransactionListItem.From(t, zone)), t => t.Id);
        return TypedResults.Ok(items);
    }

    [Function(nameof(TransactionExport)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Download the organisation's transactions as CSV (from_date/to_date dd-mm-yyyy).")]
    [ProducesResponseType(typeof(string), 200, "text/csv"), ApiErrors(400, 401, 403)]
    public IResult TransactionExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/export/gateway-transactions")]
        HttpRequest request, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var zone = ApiTime.Zone(organisation.TimeZone);
        var (from, to) = DateRange(request, zone);
        // Streamed a service page at a time: an export of any size holds one page in memory.
        return Results.Stream(async body =>
        {
            await using var csv = new StreamWriter(body, new System.Text.UTF8Encoding(false));
            await csv.WriteAsync(Csv.Row(TransactionCsv.Header).AsMemory(), cancellationToken);
            var written = 0;
            await foreach (var t in store.ListAsync(organisation, from, to, null, 0, cancellationToken))
            {
                await csv.WriteAsync(Csv.Row(TransactionCsv.Cells(t, zone)).AsMemory(), cancellationToken);
                if (++written % 200 == 0) await csv.FlushAsync(cancellationToken);
            }
        }, "text/csv; charset=utf-8", $"gateway-transactions-{organisation.Id}.csv");
    }

    /// <summary>Runs to its end even if the caller leaves (see PaymentsApi): a refund must not stop half-booked.</summary>
    [Function(nameof(TransactionRefund)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Refund a settled transaction, fully or partly (amount). Honours Idempotency-Key.")]
    [AcceptsForm(typeof(RefundForm)), AcceptsIdempotencyKey, ProducesResponseType<RefundResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public async Task<IResult> TransactionRefund(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/gateway-transaction/refund/{id}")]
        HttpRequest request, string id)
    {
        var cancellationToken = CancellationToken.None;
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var transactionId = Ids.ParseOrNotFound(id, "Transaction");
        long? amount = form.Root.Has("amount") ? Money.Parse(form.Root, "amount") : null;
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, IdempotencyPlace.Transaction(transactionId), form,
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
