using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Cards;

/// <summary>
/// The card vault (the documents' Credit Card Token sections) and the card enquiry. Nothing here logs a request body:
/// these bodies carry card numbers and CVVs. A card route names the card by guid or merchant reference; another
/// organisation's card is a 404 like an unknown one.
/// </summary>
public static class CardsApi
{
    /// <summary>The documents give token payments' <c>reference</c> as string(32).</summary>
    public const int MaxPaymentReferenceLength = 32;

    /// <remarks>Token payments move money, so they take no cancellation from the client (see PaymentsApi).</remarks>
    public static void MapCards(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("").RequireAuthorization(Policies.PaymentUser).WithTags("Cards");
        users.MapFunction(Functions.CardTokenDirect, CreateDirectAsync)
            .WithSummary("Store a card (pan, expiry MMYY, cvv) under a merchant_reference: {merchant_reference, token, guid, expiry_date}. The CVV is checked, never kept.")
            .AcceptsForm<DirectCardTokenForm>().AcceptsIdempotencyKey().Produces<CardTokenCreated>().ProducesApiErrors(400, 401, 403, 409, 413, 415, 422);
        users.MapFunction(Functions.CardTokenCreate, CreateFromCaptureAsync)
            .WithSummary("Store the card the payer paid with on the hosted card page with \"Remember this card\" (within 24 hours, payment complete or authorised).")
            .AcceptsForm<CardTokenForm>().AcceptsIdempotencyKey().Produces<CardTokenCreated>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422);
        users.MapFunction(Functions.CardTokenView, ViewAsync)
            .WithSummary("View a stored card by merchant reference or guid, its number masked.").ProducesApiErrors(401, 403, 404);
        users.MapFunction(Functions.CardTokenDelete, DeleteAsync)
            .WithSummary("Delete a stored card by merchant reference or guid.").ProducesApiErrors(401, 403, 404, 409);
        users.MapFunction(Functions.CardTokenPay, (HttpContext http, RequestForm form, Caller caller, string guid, CardTokens tokens, Idempotency idempotency) =>
                PayAsync(http, form, caller, guid, tokens, idempotency, authorise: false))
            .WithSummary("Charge a stored card: a result, or a 3ds_redirect when the issuer wants 3-D Secure (send pending_url).")
            .AcceptsForm<TokenPaymentForm>().AcceptsIdempotencyKey().Produces<TokenPaymentResult>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502);
        users.MapFunction(Functions.CardTokenAuth, (HttpContext http, RequestForm form, Caller caller, string guid, CardTokens tokens, Idempotency idempotency) =>
                PayAsync(http, form, caller, guid, tokens, idempotency, authorise: true))
            .WithSummary("Authorise an amount on a stored card, to settle or reverse later (pay/settle, pay/reverse).")
            .AcceptsForm<TokenAuthorisationForm>().AcceptsIdempotencyKey().Produces<TokenPaymentResult>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422, 502);
        users.MapFunction(Functions.CardEnquiry, EnquireAsync)
            .WithSummary("Check a card with the issuer (hot card, fraud, expiry) without charging it: {card_valid, message}.")
            .AcceptsForm<CardEnquiryForm>().Produces<CardEnquiryResult>().ProducesApiErrors(400, 401, 403, 413, 415, 502);
    }

    private static async Task<IResult> CreateDirectAsync(HttpContext http, RequestForm form, Caller caller, CardTokens tokens, Idempotency idempotency,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var reference = PaymentFields.Reference(form.Root, "merchant_reference", PaymentFields.MaxReferenceLength);
        // The CVV proves the card was at hand when it was stored; it is dropped here, before anything is kept.
        var card = CardDetails.Read(form.Root, organisation.Now(time), ApiTime.Zone(organisation.TimeZone)) with { Cvv = "" };
        return await idempotency.RunAsync(http, organisation.Id, form, scope => tokens.CreateAsync(organisation, card, reference, scope, cancellationToken), cancellationToken);
    }

    private static async Task<IResult> CreateFromCaptureAsync(HttpContext http, RequestForm form, Caller caller, CardTokens tokens, Idempotency idempotency,
        CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var reference = PaymentFields.Reference(form.Root, "merchant_reference", PaymentFields.MaxReferenceLength);
        return await idempotency.RunAsync(http, organisation.Id, form, scope => tokens.CreateFromCaptureAsync(organisation, reference, scope, cancellationToken), cancellationToken);
    }

    private static async Task<Ok<CardTokenView>> ViewAsync(string reference, Caller caller, CardTokens tokens, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        return TypedResults.Ok(CardTokenView.From(await tokens.FindAsync(organisation.Id, reference, cancellationToken)));
    }

    /// <remarks>The card's schedules stop with it, each with a failed transaction the merchant hears of; that runs to its end.</remarks>
    private static async Task<Ok<CardTokenDeleted>> DeleteAsync(string reference, Caller caller, CardTokens tokens, PaymentScheduleRunner runner, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var card = await tokens.DeleteAsync(organisation.Id, reference, cancellationToken);
        await runner.StopForCardAsync(organisation, card.Guid, CancellationToken.None);
        return TypedResults.Ok(new CardTokenDeleted(true, $"Card token deleted for reference/guid {reference}"));
    }

    private static async Task<IResult> PayAsync(HttpContext http, RequestForm form, Caller caller, string guid, CardTokens tokens, Idempotency idempotency, bool authorise)
    {
        var organisation = caller.RequireOrganisation();
        if (!Guid.TryParse(guid, out _)) throw CardTokens.CardNotFound();
        var amount = Money.Parse(form.Root, "amount");
        var reference = PaymentFields.Reference(form.Root, "reference", MaxPaymentReferenceLength);
        var pendingUrl = PaymentFields.Url(form.Root, "pending_url");
        if (authorise && form.Root.Has("is_authorisation") && !PaymentFields.Flag(form.Root, "is_authorisation"))
        {
            throw ApiException.BadRequest(form.Root.FieldName("is_authorisation"), "must be 1 on /auth; use /pay to charge at once.");
        }
        var payment = new TokenPayment(amount, reference, pendingUrl, authorise);
        return await idempotency.RunAsync(http, organisation.Id, form,
            scope => tokens.PayAsync(caller, organisation, guid, payment, scope, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>
    /// Missing or malformed fields are 400; a number failing its check digit or an expiry in the past is an answer
    /// (<c>card_valid: false</c>), as is a published test number at a live organisation. Else the issuer decides.
    /// </summary>
    private static async Task<Ok<CardEnquiryResult>> EnquireAsync(RequestForm form, Caller caller, AcquirerRouter acquirers, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var (card, problem) = CardDetails.Check(form.Root, organisation.Now(time), ApiTime.Zone(organisation.TimeZone));
        if (problem is not null)
        {
            return TypedResults.Ok(new CardEnquiryResult(false, problem.Field == form.Root.FieldName("pan")
                ? "Card number is not valid (wrong length or check digit)"
                : "Card has expired (the expiry date is in the past)"));
        }
        var live = organisation.Mode == OrganisationModes.Live;
        if (live && SimulatedAcquirer.IsTestCard(card!.Number)) return TypedResults.Ok(new CardEnquiryResult(false, "Card type not accepted (Test Card Number used)"));
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
