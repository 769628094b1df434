using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Cashier;

/// <summary>The hosted and payout cashiers' answer: the page's token, and (beyond the document) its URL.</summary>
public sealed record CashierTokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("url")] string Url);

public sealed record CashierUrlResponse([property: JsonPropertyName("url")] string Url);

/// <summary>
/// The server-to-server answer: the 3-D Secure URL while pending, and the error of a rejected deposit.
/// </summary>
public sealed record CashierS2SResponse(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("transaction_status")] string TransactionStatus,
    [property: JsonPropertyName("transaction_id")] string TransactionId,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record CashierApproveResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("transaction_status")] string TransactionStatus);

public sealed record CashierStatusResponse(
    [property: JsonPropertyName("transaction_status")] string TransactionStatus,
    [property: JsonPropertyName("rejected_reason")] string? RejectedReason);

/// <summary>
/// The document's transaction list item; <c>customer_id</c> is the merchant's user id (a number when it is one).
/// </summary>
public sealed record CashierTransactionView(
    [property: JsonPropertyName("transaction_id")] string TransactionId,
    [property: JsonPropertyName("gateway_transaction_id")] string GatewayTransactionId,
    [property: JsonPropertyName("provider_transaction_id")] string? ProviderTransactionId,
    [property: JsonPropertyName("transaction_type")] string TransactionType,
    [property: JsonPropertyName("transaction_date")] string TransactionDate,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("payment_provider")] string? PaymentProvider,
    [property: JsonPropertyName("customer_id")] JsonNode CustomerId,
    [property: JsonPropertyName("amount")] decimal Amount,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("user_amount")] decimal UserAmount,
    [property: JsonPropertyName("user_currency")] string UserCurrency,
    [property: JsonPropertyName("fx_amount")] decimal FxAmount)
{
    public static CashierTransactionView From(CashierTransaction t, TimeZoneInfo zone) => new(
        t.PublicId, t.GatewayId, t.ProviderReference, t.Type, ApiTime.Show(t.Created, zone), t.Status, t.Provider?.Name,
        long.TryParse(t.UserId, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(t.UserId),
        t.AmountMinor / 100m, t.Currency, t.UserAmountMinor / 100m, t.UserCurrency, t.FxMinor / 100m);
}

/// <summary>The request bodies, for the OpenAPI description: <c>{"request": {...}}</c> as the document shows.</summary>
public sealed record CashierBody([property: JsonPropertyName("request")] CashierRequestForm Request);

public sealed record CashierRequestForm(
    [property: JsonPropertyName("mode")] string? Mode, [property: JsonPropertyName("theme")] string? Theme,
    [property: JsonPropertyName("provider_id")] int? ProviderId,
    [property: JsonPropertyName("routing_id")] int? RoutingId,
    [property: JsonPropertyName("settings")] JsonObject? Settings,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("tracking_id")] string TrackingId, [property: JsonPropertyName("ip")] string? Ip,
    [property: JsonPropertyName("amount")] decimal Amount, [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("amount_restricted")] bool? AmountRestricted,
    [property: JsonPropertyName("customer")] CashierCustomerForm? Customer,
    [property: JsonPropertyName("card_details")] CashierCardForm? CardDetails);

public sealed record CashierCustomerForm(
    [property: JsonPropertyName("max_deposit_limit")] decimal? MaxDepositLimit,
    [property: JsonPropertyName("first_name")] string? FirstName,
    [property: JsonPropertyName("last_name")] string? LastName,
    [property: JsonPropertyName("kyc_status")] string? KycStatus, [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("zip_code")] string? ZipCode, [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("city")] string? City, [property: JsonPropertyName("dob")] string? Dob,
    [property: JsonPropertyName("country_code")] string? CountryCode,
    [property: JsonPropertyName("phone")] CashierPhoneForm? Phone);

public sealed record CashierPhoneForm(
    [property: JsonPropertyName("country")] string? Country, [property: JsonPropertyName("number")] string? Number,
    [property: JsonPropertyName("prefix")] string? Prefix);

public sealed record CashierCardForm(
    [property: JsonPropertyName("holder_name")] string? HolderName,
    [property: JsonPropertyName("card_number")] string CardNumber,
    [property: JsonPropertyName("cvc")] string Cvc, [property: JsonPropertyName("exp_month")] string ExpMonth,
    [property: JsonPropertyName("exp_year")] string ExpYear);

/// <summary>A provider of the catalogue, and whether the organisation offers it (Settings - providers).</summary>
public sealed record CashierProviderView(
    [property: JsonPropertyName("id")] int Id, [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("title")] string Title, [property: JsonPropertyName("transaction_type")] string Type,
    [property: JsonPropertyName("method")] string Method, [property: JsonPropertyName("enabled")] bool Enabled);

public sealed record CashierProvidersForm([property: JsonPropertyName("enabled")] IReadOnlyList<int> Enabled);

public sealed record CashierDecisionForm([property: JsonPropertyName("transaction_id")] string TransactionId);

/// <summary>
/// The cashier API (document 003) under <c>/api/cashier</c>, for the organisation's API keys (and its administrators):
/// deposits through the hosted cashier, straight to a provider or server to server, payouts the merchant approves or
/// rejects, and the transactions. Errors are the API's error object. Nothing here logs a request body.
/// </summary>
[Tags("Cashier")]
public sealed class CashierApi(CashierService cashier, CashierStore store, IOptions<PaymentOptions> payments,
    TimeProvider time)
{
    public const string ApproveMessage = "Transaction Withdrawal has been approved successfully";

    /// <summary>The longest range the list answers, as the document says.</summary>
    public const int MaxRangeDays = 7;

    [Function(nameof(CashierDeposit)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Open the hosted cashier for a deposit: {token}; the user continues at /cashier/{token}.")]
    [AcceptsForm(typeof(CashierBody)), ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<Ok<CashierTokenResponse>> CashierDeposit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/deposit")] HttpRequest request,
        CancellationToken cancellationToken) => OpenPageAsync(request, CashierEntry.Deposit, cancellationToken);

    [Function(nameof(CashierDirectDeposit)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Open a deposit straight at one provider (provider_id): {url}.")]
    [AcceptsForm(typeof(CashierBody)), ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public async Task<Ok<CashierUrlResponse>> CashierDirectDeposit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/deposit/direct")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var t = await OpenAsync(request, CashierEntry.DirectDeposit, cancellationToken);
        return TypedResults.Ok(new CashierUrlResponse(PageUrl(t)));
    }

    [Function(nameof(CashierServerToServer)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Deposit with card details (routing_id): {url, transaction_status}; " +
        "send the user to url for 3-D Secure.")]
    [AcceptsForm(typeof(CashierBody)), ApiErrors(400, 401, 403, 409, 413, 415, 422, 502)]
    public async Task<Ok<CashierS2SResponse>> CashierServerToServer(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/deposit/s2s")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var t = await OpenAsync(request, CashierEntry.ServerToServer, cancellationToken);
        var url = t.Stage == CashierStages.Authenticating ? PageUrl(t) + "/3ds" : "";
        return TypedResults.Ok(new CashierS2SResponse(url, t.Status, t.PublicId,
            t.Status == CashierStatuses.Rejected ? t.RejectedReason : null));
    }

    [Function(nameof(CashierPayout)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Open the payout cashier: {token}; the user asks for the withdrawal at /cashier/{token}.")]
    [AcceptsForm(typeof(CashierBody)), ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<Ok<CashierTokenResponse>> CashierPayout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/payout")] HttpRequest request,
        CancellationToken cancellationToken) => OpenPageAsync(request, CashierEntry.Payout, cancellationToken);

    [Function(nameof(CashierPayoutApprove)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Approve a payout the user asked for; the provider then pays it (it stays pending until then).")]
    [AcceptsForm(typeof(CashierDecisionForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<CashierApproveResponse>> CashierPayoutApprove(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/payout/approve")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var t = await cashier.ApproveAsync(organisation, await TransactionIdAsync(request), CancellationToken.None);
        return TypedResults.Ok(new CashierApproveResponse(ApproveMessage, t.Status));
    }

    [Function(nameof(CashierPayoutReject)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Reject a pending payout: {}.")]
    [AcceptsForm(typeof(CashierDecisionForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<JsonObject>> CashierPayoutReject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/cashier/payout/reject")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        await cashier.RejectAsync(organisation, await TransactionIdAsync(request), CancellationToken.None);
        return TypedResults.Ok(new JsonObject());
    }

    [Function(nameof(CashierTransactionStatus)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("A transaction's status and rejection reason, by transaction_id or tracking_id.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<CashierStatusResponse>> CashierTransactionStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/cashier/transactions/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var t = await cashier.GetAsync(request.Caller().RequireOrganisation(), id, cancellationToken);
        return TypedResults.Ok(new CashierStatusResponse(t.Status, t.RejectedReason));
    }

    [Function(nameof(CashierTransactions)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Transactions from one date to another (DD-MM-YYYY, at most 7 days apart; default today).")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<List<CashierTransactionView>>> CashierTransactions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/cashier/transactions")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var zone = ApiTime.Zone(organisation.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), zone).DateTime);
        var first = Date(request, "from") ?? Date(request, "to") ?? today;
        var last = Date(request, "to") ?? first;
        if (last < first) throw ApiException.BadRequest("to", "must not be before from.");
        if (last.DayNumber - first.DayNumber > MaxRangeDays)
        {
            throw ApiException.BadRequest("to", $"must be at most {MaxRangeDays} days after from.");
        }
        var list = new List<CashierTransactionView>();
        await foreach (var t in store.ListAsync(organisation.Id, Start(first, zone), Start(last.AddDays(1), zone),
            cancellationToken))
        {
            list.Add(CashierTransactionView.From(t, zone));
        }
        return TypedResults.Ok(list);
    }

    [Function(nameof(CashierProviderList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The providers the cashier can offer, and which of them this organisation offers.")]
    [ApiErrors(401, 403)]
    public async Task<Ok<List<CashierProviderView>>> CashierProviderList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/cashier/providers")] HttpRequest request,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await ProvidersAsync(request.Caller().RequireOrganisation().Id, cancellationToken));

    [Function(nameof(CashierProvidersUpdate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Choose the providers this organisation offers (enabled: a list of ids); " +
        "the others are switched off.")]
    [AcceptsForm(typeof(CashierProvidersForm)), ApiErrors(400, 401, 403, 413, 415)]
    public async Task<Ok<List<CashierProviderView>>> CashierProvidersUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/cashier/providers")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var form = (await RequestForm.ReadAsync(request)).Root;
        if (!form.Has("enabled")) throw ApiException.BadRequest("enabled",
            "is required: a list of provider ids, e.g. [210, 310].");
        var enabled = form.List("enabled").Select((text, i) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                && CashierProviders.Find(id) is not null
                ? id
                : throw ApiException.BadRequest($"enabled[{i}]", "is not a provider id of GET /api/cashier/providers."))
            .ToHashSet();
        await cashier.SetProvidersAsync(organisation.Id, enabled, cancellationToken);
        return TypedResults.Ok(await ProvidersAsync(organisation.Id, cancellationToken));
    }

    [Function(nameof(PayoutLookup)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("A payout, by the lookup the v1 documents name (/api/v1/payout/100/{id}).")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<CashierTransactionView>> PayoutLookup(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/payout/100/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var t = await cashier.GetAsync(organisation, id, cancellationToken);
        if (t.Type != CashierTypes.Withdrawal) throw CashierService.NotFound();
        return TypedResults.Ok(CashierTransactionView.From(t, ApiTime.Zone(organisation.TimeZone)));
    }

    private async Task<List<CashierProviderView>> ProvidersAsync(long organisationId,
        CancellationToken cancellationToken) =>
    [
        .. (await cashier.ProvidersAsync(organisationId, cancellationToken))
            .Select(p => new CashierProviderView(
                p.Provider.Id, p.Provider.Name, p.Provider.Title, p.Provider.Type, p.Provider.Method, p.Enabled)),
    ];

    private async Task<Ok<CashierTokenResponse>> OpenPageAsync(HttpRequest request, CashierEntry entry,
        CancellationToken cancellationToken)
    {
        var t = await OpenAsync(request, entry, cancellationToken);
        return TypedResults.Ok(new CashierTokenResponse(t.Token, PageUrl(t)));
    }

    private async Task<CashierTransaction> OpenAsync(HttpRequest request, CashierEntry entry,
        CancellationToken cancellationToken)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        var parsed = CashierRequest.Read(form, entry, time.GetUtcNow());
        // A request that charges a card runs to the end once it starts, even if the merchant's connection drops.
        return await cashier.OpenAsync(caller, organisation, parsed,
            entry == CashierEntry.ServerToServer ? CancellationToken.None : cancellationToken);
    }

    private string PageUrl(CashierTransaction t) =>
        $"{payments.Value.BaseUri.GetLeftPart(UriPartial.Authority)}/cashier/{t.Token}";

    /// <summary>
    /// <c>{"transaction_id": ...}</c> as the document shows it (or wrapped in <c>request</c> like the others).
    /// </summary>
    private static async Task<string> TransactionIdAsync(HttpRequest request)
    {
        var root = (await RequestForm.ReadAsync(request)).Root;
        var form = root.Has("request") ? root.Section("request") : root;
        return form.TextOrNumber("transaction_id", 128)
            ?? throw ApiException.BadRequest(form.FieldName("transaction_id"), "is required.");
    }

    private static DateOnly? Date(HttpRequest request, string name)
    {
        if (request.Query[name] is not { Count: > 0 } values) return null;
        return values.Count == 1
            && DateOnly.TryParseExact(values[0], "dd-MM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None,
                out var date)
            ? date
            : throw ApiException.BadRequest(name, "must be a date as DD-MM-YYYY, e.g. 01-08-2024.");
    }

    private static DateTimeOffset Start(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

/// <summary>
/// The user's cashier pages (<see cref="CashierPage"/>): HTML, failures as pages, like the hosted pages.
/// </summary>
[Tags("Hosted pages")]
public sealed class CashierPagesApi(CashierService cashier)
{
    [Function(nameof(CashierPageView)), AllowAnonymous]
    [EndpointSummary("The cashier page of a token: the providers, a provider's form (?provider=), or the outcome.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(404, 410)]
    public Task<IResult> CashierPageView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "cashier/{token}")] HttpRequest request,
        string token) =>
        CashierPage.HandleAsync(PageRequest.For(request), cashier, token);

    [Function(nameof(CashierPageSubmit)), AllowAnonymous]
    [EndpointSummary("The cashier form's post: the deposit or payout request, then the outcome or 3-D Secure.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(400, 403, 404, 410)]
    public Task<IResult> CashierPageSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "cashier/{token}")] HttpRequest request,
        string token) =>
        CashierPage.HandleAsync(PageRequest.For(request), cashier, token);

    [Function(nameof(CashierChallengePage)), AllowAnonymous]
    [EndpointSummary("The simulator's 3-D Secure page of a card deposit.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(404, 410)]
    public Task<IResult> CashierChallengePage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "cashier/{token}/3ds")] HttpRequest request,
        string token) =>
        CashierPage.ChallengeAsync(PageRequest.For(request), cashier, token);

    [Function(nameof(CashierChallengeSubmit)), AllowAnonymous]
    [EndpointSummary("The 3-D Secure page's answer: authenticated or failed.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(400, 403, 404, 410)]
    public Task<IResult> CashierChallengeSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "cashier/{token}/3ds")] HttpRequest request,
        string token) =>
        CashierPage.ChallengeAsync(PageRequest.For(request), cashier, token);
}
