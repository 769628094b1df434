using Gateway.Api;
using Gateway.Cards;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Platform;
using Gateway.Webhooks;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>
/// Payment keys for the hosted pages and server-to-server card payments (the documents' Payment Setup and Server
/// to Server sections). Every endpoint here honours <c>Idempotency-Key</c>. Nothing here logs a request body: these
/// bodies carry card numbers and CVVs.
/// </summary>
public static class PaymentsApi
{
    public const int MaxDirectReferenceLength = 20;

    /// <remarks>
    /// Requests that move money take no cancellation from the client: once the acquirer has been asked, stopping
    /// before the commit would lose the record of a charge, so a request runs to its end even if its caller left.
    /// </remarks>
    public static void MapPayments(this IEndpointRouteBuilder app)
    {
        var payers = app.MapGroup("").RequireAuthorization(Policies.PaymentUser).WithTags("Payments");
        payers.MapFunction(Functions.PaymentKeyCreate, CreateKeyAsync)
            .WithSummary("Set up a payment for the hosted pages or the checkout widget: {key, url, origin}.")
            .AcceptsForm<PaymentKeyForm>().AcceptsIdempotencyKey().Produces<PaymentKeyCreated>().ProducesApiErrors(400, 401, 403, 409, 413, 415, 422);
        payers.MapFunction(Functions.PayDirect, (HttpContext http, RequestForm form, Caller caller, PaymentService payments, Idempotency idempotency, WebhookUrls urls, TimeProvider time) =>
                PayAsync(http, form, caller, payments, idempotency, urls, time, authorise: false, CancellationToken.None))
            .WithSummary("Charge a card: a result, or a 3ds_redirect when the issuer wants 3-D Secure (send return_url).")
            .AcceptsForm<DirectPaymentForm>().AcceptsIdempotencyKey().Produces<PaymentResult>().ProducesApiErrors(400, 401, 403, 409, 413, 415, 422, 502);
        payers.MapFunction(Functions.PayAuth, (HttpContext http, RequestForm form, Caller caller, PaymentService payments, Idempotency idempotency, WebhookUrls urls, TimeProvider time) =>
                PayAsync(http, form, caller, payments, idempotency, urls, time, authorise: true, CancellationToken.None))
            .WithSummary("Authorise an amount on a card, to settle or reverse later.")
            .AcceptsForm<DirectPaymentForm>().AcceptsIdempotencyKey().Produces<PaymentResult>().ProducesApiErrors(400, 401, 403, 409, 413, 415, 422, 502);
        payers.MapFunction(Functions.PaySettle, (HttpContext http, RequestForm form, Caller caller, AuthorisationService payments, Idempotency idempotency) =>
                ChangeAsync(http, form, caller, idempotency, (organisation, locator, scope) =>
                    payments.SettleAsync(organisation, locator, form.Root.Has("amount") ? Money.Parse(form.Root, "amount") : null, scope, CancellationToken.None), CancellationToken.None))
            .WithSummary("Settle an authorisation, fully or partly (amount), by gateway_reference or gateway_transaction_id.")
            .AcceptsForm<SettleForm>().AcceptsIdempotencyKey().Produces<PaymentResult>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502);
        payers.MapFunction(Functions.PayReverse, (HttpContext http, RequestForm form, Caller caller, AuthorisationService payments, Idempotency idempotency) =>
                ChangeAsync(http, form, caller, idempotency, (organisation, locator, scope) =>
                    // A reversal releases the whole authorisation; silently ignoring an amount would surprise.
                    form.Root.Has("amount") ? throw ApiException.BadRequest("amount", "is not accepted: a reversal releases the whole authorisation.")
                        : payments.ReverseAsync(organisation, locator, scope, CancellationToken.None), CancellationToken.None))
            .WithSummary("Reverse (void) an authorisation, by gateway_reference or gateway_transaction_id.")
            .AcceptsForm<SettleForm>().AcceptsIdempotencyKey().Produces<PaymentResult>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502);
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext http, RequestForm form, Caller caller, PaymentStore store, TimeProvider time,
        Idempotency idempotency, WebhookUrls webhookUrls, CardVault vault, IOptions<PaymentOptions> options, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var fields = PaymentFields.ReadPaymentKey(form.Root, caller, organisation, organisation.Now(time), options.Value.PaymentKeyLifetime);
        await CheckNotifyUrlAsync(webhookUrls, fields.NotifyUrl, organisation, cancellationToken);
        if (fields.CardToken is { } cardToken && await vault.GetAsync(organisation.Id, cardToken, cancellationToken) is null)
        {
            throw ApiException.BadRequest(form.Root.FieldName("card_token"), "does not name a stored card.");
        }
        return await idempotency.RunAsync(http, organisation.Id, form, async scope =>
        {
            var key = fields with { Key = Secrets.Hex(16) };
            var origin = options.Value.BaseUri.GetLeftPart(UriPartial.Authority);
            var response = StoredResponse.Ok(new PaymentKeyCreated(key.Key, options.Value.PageUrl(key), origin));
            await store.CreateKeyAsync(key, [scope.Complete(response)], cancellationToken);
            return response;
        }, cancellationToken);
    }

    private static async Task<IResult> PayAsync(HttpContext http, RequestForm form, Caller caller, PaymentService payments,
        Idempotency idempotency, WebhookUrls webhookUrls, TimeProvider time, bool authorise, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var payment = ReadDirect(form.Root, organisation, organisation.Now(time), authorise);
        await CheckNotifyUrlAsync(webhookUrls, payment.NotifyUrl, organisation, cancellationToken);
        return await idempotency.RunAsync(http, organisation.Id, form,
            scope => payments.PayDirectAsync(caller, organisation, payment, scope, cancellationToken), cancellationToken);
    }

    /// <summary>A payment's own webhook URL passes the same guard as the organisation's, when it is set (400 naming it).</summary>
    private static Task CheckNotifyUrlAsync(WebhookUrls urls, string? notifyUrl, Organisation organisation, CancellationToken cancellationToken) =>
        notifyUrl is null ? Task.CompletedTask : urls.CheckAsync("notify_url", notifyUrl, organisation.Mode == OrganisationModes.Live, cancellationToken);

    private static async Task<IResult> ChangeAsync(HttpContext http, RequestForm form, Caller caller, Idempotency idempotency,
        Func<Organisation, TransactionLocator, IdempotencyScope, Task<StoredResponse>> change, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var locator = ReadLocator(form.Root);
        return await idempotency.RunAsync(http, organisation.Id, form, scope => change(organisation, locator, scope), cancellationToken);
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
