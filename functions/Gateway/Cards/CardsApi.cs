using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Cards;

/// <summary>
/// The card vault (the documents' Credit Card Token sections) and the card enquiry. Nothing here logs a request body:
/// these bodies carry card numbers and CVVs. A card route names the card by guid or merchant reference; another
/// organisation's card is a 404 like an unknown one.
/// </summary>
/// <remarks>Token payments move money, so they take no cancellation from the client (see PaymentsApi).</remarks>
[Tags("Cards")]
public sealed class CardsApi(CardTokens tokens, Idempotency idempotency, ICardDependents dependents,
    AcquirerRouter acquirers, TimeProvider time)
{
    /// <summary>The documents give token payments' <c>reference</c> as string(32).</summary>
    public const int MaxPaymentReferenceLength = 32;

    [Function(nameof(CardTokenDirect)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Store a card (pan, expiry MMYY, cvv) under a merchant_reference: {merchant_reference, token, " +
        "guid, expiry_date}. The CVV is checked, never kept.")]
    [AcceptsForm(typeof(DirectCardTokenForm)), AcceptsIdempotencyKey, ProducesResponseType<CardTokenCreated>(200)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public async Task<IResult> CardTokenDirect(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/customer-token/direct")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var reference = PaymentFields.Reference(form.Root, "merchant_reference", PaymentFields.MaxReferenceLength);
        // The CVV proves the card was at hand when it was stored; it is dropped here, before anything is kept.
        var card = CardDetails.Read(form.Root, organisation.Now(time), ApiTime.Zone(organisation.TimeZone)) with { Cvv = "" };
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form,
            scope => tokens.CreateAsync(organisation, card, reference, scope, cancellationToken), cancellationToken);
    }

    [Function(nameof(CardTokenCreate)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Store the card the payer paid with on the hosted card page with \"Remember this card\" " +
        "(within 24 hours, payment complete or authorised).")]
    [AcceptsForm(typeof(CardTokenForm)), AcceptsIdempotencyKey, ProducesResponseType<CardTokenCreated>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public async Task<IResult> CardTokenCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/customer-token")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var reference = PaymentFields.Reference(form.Root, "merchant_reference", PaymentFields.MaxReferenceLength);
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form,
            scope => tokens.CreateFromCaptureAsync(organisation, reference, scope, cancellationToken), cancellationToken);
    }

    [Function(nameof(CardTokenView)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("View a stored card by merchant reference or guid, its number masked."), ApiErrors(401, 403, 404)]
    public async Task<Ok<CardTokenView>> CardTokenView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/customer-token/{reference}")] HttpRequest request,
        string reference, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return TypedResults.Ok(Cards.CardTokenView.From(await tokens.FindAsync(organisation.Id, reference, cancellationToken)));
    }

    /// <remarks>The card's schedules stop with it, each with a failed transaction the merchant hears of; that runs to its end.</remarks>
    [Function(nameof(CardTokenDelete)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Delete a stored card by merchant reference or guid."), ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<CardTokenDeleted>> CardTokenDelete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/customer-token/{reference}")]
        HttpRequest request, string reference, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var card = await tokens.DeleteAsync(organisation.Id, reference, cancellationToken);
        await dependents.CardDeletedAsync(organisation, card.Guid, CancellationToken.None);
        return TypedResults.Ok(new CardTokenDeleted(true, $"Card token deleted for reference/guid {reference}"));
    }

    [Function(nameof(CardTokenPay)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Charge a stored card: a result, or a 3ds_redirect when the issuer wants 3-D Secure (send " +
        "pending_url).")]
    [AcceptsForm(typeof(TokenPaymentForm)), AcceptsIdempotencyKey, ProducesResponseType<TokenPaymentResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502)]
    public Task<IResult> CardTokenPay(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/customer-token/{guid}/pay")] HttpRequest request,
        string guid) =>
        PayAsync(request, guid, authorise: false);

    [Function(nameof(CardTokenAuth)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Authorise an amount on a stored card, to settle or reverse later (pay/settle, pay/reverse).")]
    [AcceptsForm(typeof(TokenAuthorisationForm)), AcceptsIdempotencyKey, ProducesResponseType<TokenPaymentResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502)]
    public Task<IResult> CardTokenAuth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/customer-token/{guid}/auth")] HttpRequest request,
        string guid) =>
        PayAsync(request, guid, authorise: true);

    private async Task<IResult> PayAsync(HttpRequest request, string guid, bool authorise)
    {
        var form = await RequestForm.ReadAsync(request);
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        if (!Guid.TryParse(guid, out _)) throw CardTokens.CardNotFound();
        var amount = Money.Parse(form.Root, "amount");
        var reference = PaymentFields.Reference(form.Root, "reference", MaxPaymentReferenceLength);
        var pendingUrl = PaymentFields.Url(form.Root, "pending_url");
        if (authorise && form.Root.Has("is_authorisation") && !PaymentFields.Flag(form.Root, "is_authorisation"))
        {
            throw ApiException.BadRequest(form.Root.FieldName("is_authorisation"), "must be 1 on /auth; use /pay to charge at once.");
        }
        var payment = new TokenPayment(amount, reference, pendingUrl, authorise,
            PaymentFields.OptionalFlag(form.Root, "card_token_3ds"));
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, IdempotencyPlace.Spread(organisation.PaymentPartitions), form,
            scope => tokens.PayAsync(caller, organisation, guid, payment, scope, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>
    /// Missing or malformed fields are 400; a number failing its check digit or an expiry in the past is an answer
    /// (<c>card_valid: false</c>), as is a published test number at a live organisation. Else the issuer decides.
    /// </summary>
    [Function(nameof(CardEnquiry)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.Direct)]
    [EndpointSummary("Check a card with the issuer (hot card, fraud, expiry) without charging it: {card_valid, message}.")]
    [AcceptsForm(typeof(CardEnquiryForm)), ApiErrors(400, 401, 403, 409, 413, 415, 502)]
    public async Task<Ok<CardEnquiryResult>> CardEnquiry(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/card-enquiry")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var (card, problem) = CardDetails.Check(form.Root, organisation.Now(time), ApiTime.Zone(organisation.TimeZone));
        if (problem is not null)
        {
            return TypedResults.Ok(new CardEnquiryResult(false, problem.Field == form.Root.FieldName("pan")
                ? "Card number is not valid (wrong length or check digit)"
                : "Card has expired (the expiry date is in the past)"));
        }
        var live = organisation.Mode == OrganisationModes.Live;
        if (live && SimulatedAcquirer.IsTestCard(card!.Number))
        {
            return TypedResults.Ok(new CardEnquiryResult(false, "Card type not accepted (Test Card Number used)"));
        }
        try
        {
            var answer = await acquirers.For(!live).EnquireCardAsync(card!, cancellationToken);
            return TypedResults.Ok(new CardEnquiryResult(answer.Valid, answer.Message));
        }
        catch (AcquirerUnavailableException)
        {
            throw new ApiException(StatusCodes.Status502BadGateway, "The card processor did not answer; try the enquiry again.");
        }
    }
}
