using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Payments;

/// <summary>
/// Payment keys for the hosted pages and server-to-server card payments (the documents' Payment Setup and Server
/// to Server sections). Every endpoint here honours <c>Idempotency-Key</c>. Nothing here logs a request body: these
/// bodies carry card numbers and CVVs.
/// </summary>
/// <remarks>
/// Requests that move money take no cancellation from the client: once the acquirer has been asked, stopping
/// before the commit would lose the record of a charge, so a request runs to its end even if its caller left.
/// </remarks>
[Tags("Payments")]
public sealed class PaymentsApi(PaymentService payments, AuthorisationService authorisations, PaymentStore store,
    Idempotency idempotency, WebhookUrls webhookUrls, CardVault vault, AcquirerRouter acquirers,
    IOptions<PaymentOptions> options, TimeProvider time)
{
    public const int MaxDirectReferenceLength = 20;

    [Function(nameof(PaymentKeyCreate)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.EftX)]
    [EndpointSummary("Set up a payment for the hosted pages or the checkout widget: {key, url, origin}.")]
    [AcceptsForm(typeof(PaymentKeyForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentKeyCreated>(200)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public async Task<IResult> PaymentKeyCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/payment-key")] HttpRequest request)
    {
        var cancellationToken = CancellationToken.None;
        var form = await RequestForm.ReadAsync(request);
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        acquirers.RefuseUnavailable(organisation);
        var fields = PaymentFields.ReadPaymentKey(form.Root, caller, organisation, organisation.Now(time),
            options.Value.PaymentKeyLifetime);
        await CheckNotifyUrlAsync(fields.NotifyUrl, organisation, cancellationToken);
        if (fields.CardToken is { } cardToken && await vault.GetAsync(organisation.Id, cardToken, cancellationToken) is null)
        {
            throw ApiException.BadRequest(form.Root.FieldName("card_token"), "does not name a stored card.");
        }
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form, async scope =>
        {
            var key = fields with { Key = Secrets.Hex(16) };
            var origin = options.Value.BaseUri.GetLeftPart(UriPartial.Authority);
            var response = StoredResponse.Ok(new PaymentKeyCreated(key.Key, options.Value.PageUrl(key), origin));
            await store.CreateKeyAsync(key, [scope.Complete(response)], cancellationToken);
            return response;
        }, cancellationToken);
    }

    [Function(nameof(PayDirect)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.Direct)]
    [EndpointSummary("Charge a card: a result, or a 3ds_redirect when the issuer wants 3-D Secure (send return_url).")]
    [AcceptsForm(typeof(DirectPaymentForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentResult>(200)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422, 502)]
    public Task<IResult> PayDirect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/pay/direct")] HttpRequest request) =>
        PayAsync(request, authorise: false);

    [Function(nameof(PayAuth)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.Direct)]
    [EndpointSummary("Authorise an amount on a card, to settle or reverse later.")]
    [AcceptsForm(typeof(DirectPaymentForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentResult>(200)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422, 502)]
    public Task<IResult> PayAuth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/pay/auth")] HttpRequest request) =>
        PayAsync(request, authorise: true);

    [Function(nameof(PaySettle)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.Direct)]
    [EndpointSummary("Settle an authorisation, fully or partly (amount), by gateway_reference or gateway_transaction_id.")]
    [AcceptsForm(typeof(SettleForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502)]
    public Task<IResult> PaySettle(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/pay/settle")] HttpRequest request) =>
        ChangeAsync(request, (form, organisation, locator, scope) => authorisations.SettleAsync(organisation, locator,
            form.Root.Has("amount") ? Money.Parse(form.Root, "amount") : null, scope, CancellationToken.None));

    [Function(nameof(PayReverse)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.Direct)]
    [EndpointSummary("Reverse (void) an authorisation, by gateway_reference or gateway_transaction_id.")]
    [AcceptsForm(typeof(SettleForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502)]
    public Task<IResult> PayReverse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/pay/reverse")] HttpRequest request) =>
        ChangeAsync(request, (form, organisation, locator, scope) =>
            // A reversal releases the whole authorisation; silently ignoring an amount would surprise.
            form.Root.Has("amount")
                ? throw ApiException.BadRequest("amount", "is not accepted: a reversal releases the whole authorisation.")
                : authorisations.ReverseAsync(organisation, locator, scope, CancellationToken.None));

    private async Task<IResult> PayAsync(HttpRequest request, bool authorise)
    {
        var cancellationToken = CancellationToken.None;
        var form = await RequestForm.ReadAsync(request);
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        var payment = ReadDirect(form.Root, organisation, organisation.Now(time), authorise);
        await CheckNotifyUrlAsync(payment.NotifyUrl, organisation, cancellationToken);
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, IdempotencyPlace.Spread(organisation.PaymentPartitions), form,
            scope => payments.PayDirectAsync(caller, organisation, payment, scope, cancellationToken), cancellationToken);
    }

    /// <summary>A payment's own webhook URL passes the same guard as the organisation's, when it is set (400 naming it).</summary>
    private Task CheckNotifyUrlAsync(string? notifyUrl, Organisation organisation, CancellationToken cancellationToken) =>
        notifyUrl is null
            ? Task.CompletedTask
            : webhookUrls.CheckAsync("notify_url", notifyUrl, organisation.Mode == OrganisationModes.Live, cancellationToken);

    private async Task<IResult> ChangeAsync(HttpRequest request,
        Func<RequestForm, Organisation, TransactionLocator, IdempotencyScope, Task<StoredResponse>> change)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var locator = await ReadLocator(form.Root).ResolveAsync(store, organisation, CancellationToken.None);
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, locator.Place, form,
            scope => change(form, organisation, locator, scope), CancellationToken.None);
    }

    private static DirectPayment ReadDirect(FormSection form, Organisation organisation, DateTimeOffset now, bool authorise)
    {
        var card = CardDetails.Read(form, now, ApiTime.Zone(organisation.TimeZone));
        var amount = Money.Parse(form, "amount");
        var reference = PaymentFields.Reference(form, "merchant_reference", MaxDirectReferenceLength);
        // Names and the 3-D Secure 2 browser fields are checked like any text but not kept: the acquirer
        // simulator has no use for them, and a name next to a masked card is still personal data.
        form.Text("first_name", 20);
        form.Text("last_name", 20);
        foreach (var field in new[] { "screen_color_depth", "java_enabled", "navigator_language", "window_inner_height", "window_inner_width", "timezone", "navigator_user_agent" })
        {
            form.TextOrNumber(field, 512);
        }
        return new DirectPayment(card, amount, PaymentFields.Currency(form, "currency_code", organisation), reference,
            PaymentFields.Url(form, "return_url"), PaymentFields.Url(form, "notify_url"), authorise);
    }

    private static TransactionLocator ReadLocator(FormSection form)
    {
        var reference = form.Text("gateway_reference", 64);
        var idText = form.TextOrNumber("gateway_transaction_id", 20);
        return (reference, idText) switch
        {
            // Gateway references are GUIDs the gateway issued; anything else names no transaction.
            (not null, null) => new TransactionLocator(null, Guid.TryParse(reference, out var g) ? g.ToString() : throw PaymentService.TransactionNotFound()),
            (null, not null) => new TransactionLocator(Ids.TryParse(idText, out var id) ? id : throw PaymentService.TransactionNotFound(), null),
            _ => throw ApiException.BadRequest("gateway_reference", "give exactly one of gateway_reference or gateway_transaction_id."),
        };
    }
}
