using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Codes;

/// <summary>The document's create answer: the ten digits and until when they pay (epoch milliseconds; 0 never).</summary>
public sealed record CodeCreated(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("expiryDate")] long ExpiryDate,
    [property: JsonPropertyName("payURL")] string PayUrl);

/// <summary>A code as the document's query, update, delete and amount answers show it, with the URL that pays it.</summary>
public sealed record CodeView(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("amountString")] string? AmountString,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("merchantReference")] string MerchantReference,
    [property: JsonPropertyName("expiryDate")] long ExpiryDate,
    [property: JsonPropertyName("useOnce")] bool UseOnce,
    [property: JsonPropertyName("merchantName")] string MerchantName,
    [property: JsonPropertyName("shortDescription")] string ShortDescription,
    [property: JsonPropertyName("productURL")] string? ProductUrl,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("limitBasket")] IReadOnlyList<BasketLimitView> LimitBasket,
    [property: JsonPropertyName("payURL")] string PayUrl,
    [property: JsonPropertyName("extra")] object? Extra)
{
    /// <summary>"R 10.50", as the document writes it; null for a variable amount.</summary>
    public static CodeView From(PayableCode code, string merchantName, string payUrl) => new(
        code.Code, code.IsVariable ? null : $"{Money.Symbol(code.Currency)} {Money.Format(code.AmountMinor)}", code.Currency,
        code.MerchantReference, ExpiryOf(code), code.UseOnce, merchantName, code.ShortDescription, code.ProductUrl, code.State,
        [.. code.LimitBasket.Select(b => new BasketLimitView(b.Destination, b.ItemType, Money.Format(b.AmountMinor)))], payUrl, null);

    public static long ExpiryOf(PayableCode code) => code.Expires?.ToUnixTimeMilliseconds() ?? 0;
}

public sealed record BasketLimitView(
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("itemType")] string ItemType,
    [property: JsonPropertyName("amount")] string Amount);

/// <summary>The create and update bodies, for the OpenAPI description (JSON as documented, or a form).</summary>
public sealed record CodeForm(
    decimal Amount, string MerchantReference, string ShortDescription, long? ExpiryDate, bool? UseOnce,
    bool? RequestPartialPayment, bool? RequestTip, string? SubMerchantName, string? TerminalId,
    IReadOnlyList<string>? SmsNotify, IReadOnlyList<string>? EmailNotify, string? Rrn2,
    IReadOnlyList<BasketLimitView>? LimitBasket, [property: JsonPropertyName("productURL")] string? ProductUrl);

public sealed record CodeAmountForm(decimal Amount, long? ExpiryDate);

/// <summary>The in-app payment: the card fields of pay/direct, the amount where the payer chooses it, a tip where asked.</summary>
public sealed record CodePayForm(
    string Pan, string Expiry, string Cvv, decimal? Amount, decimal? Tip,
    [property: JsonPropertyName("return_url")] string? ReturnUrl);

/// <summary>
/// Code management (document 004) under <c>/api/code</c>, authenticated like <c>/api/v1</c>; the document's statuses
/// (431 no such code, 439 not a code, 440 validation error, 513 another merchant's code) in the API's error object.
/// Paying a code and its QR images are public: the payer's side.
/// </summary>
[Tags("Codes")]
public sealed class CodesApi(CodeService codes, CodeLookupLimiter limiter, TimeProvider time)
{
    [Function(nameof(CodeCreate)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Create a payable code: {code, expiryDate, payURL}.")]
    [AcceptsForm(typeof(CodeForm)), ApiErrors(400, 401, 403, 409, 413, 415, CodeFields.ValidationError)]
    public async Task<Ok<CodeCreated>> CodeCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/code/create")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        var code = await codes.CreateAsync(caller, organisation, CodeFields.ReadCreate(form, organisation.Now(time), organisation.BasketLimits),
            cancellationToken);
        return TypedResults.Ok(new CodeCreated(code.Code, CodeView.ExpiryOf(code), codes.PayUrl(code.Code)));
    }

    [Function(nameof(CodeQuery)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Query a code.")]
    [ApiErrors(401, 403, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeQuery(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/code/{code}")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return View(await codes.OwnAsync(organisation.Id, code, cancellationToken), organisation);
    }

    [Function(nameof(CodeUpdate)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Update a code; the changes take effect at once.")]
    [AcceptsForm(typeof(CodeForm))]
    [ApiErrors(400, 401, 403, 409, 413, 415, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeFields.ValidationError,
        CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/code/{code}")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        var organisation = request.Caller().RequireOrganisation();
        var changes = CodeFields.ReadUpdate(form, organisation.Now(time), organisation.BasketLimits);
        return View(await codes.UpdateAsync(organisation, code, changes, cancellationToken), organisation);
    }

    [Function(nameof(CodeDelete)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Delete a code: it can no longer be paid, and a query finds nothing.")]
    [ApiErrors(401, 403, 409, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeDelete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/code/{code}")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return View(await codes.DeleteAsync(organisation.Id, code, cancellationToken), organisation);
    }

    [Function(nameof(CodeBlock)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Block a code for now: nobody can pay it until it is unblocked.")]
    [ApiErrors(401, 403, 409, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeBlock(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/code/{code}/block")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return View(await codes.BlockAsync(organisation.Id, code, blocked: true, cancellationToken), organisation);
    }

    [Function(nameof(CodeUnblock)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Unblock a code: it can be paid again.")]
    [ApiErrors(401, 403, 409, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeUnblock(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/code/{code}/unblock")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return View(await codes.BlockAsync(organisation.Id, code, blocked: false, cancellationToken), organisation);
    }

    [Function(nameof(CodeAmount)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Change only a code's amount (and optionally its expiry), e.g. for a static code.")]
    [AcceptsForm(typeof(CodeAmountForm))]
    [ApiErrors(400, 401, 403, 409, 413, 415, CodeService.NotFoundStatus, CodeService.NotACodeStatus, CodeFields.ValidationError,
        CodeService.OtherMerchantStatus)]
    public async Task<Ok<CodeView>> CodeAmount(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/code/{code}/amount")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        var organisation = request.Caller().RequireOrganisation();
        var (amount, expires) = CodeFields.ReadAmount(form, organisation.Now(time));
        return View(await codes.SetAmountAsync(organisation.Id, code, amount, expires, organisation.BasketLimits, cancellationToken),
            organisation);
    }

    [Function(nameof(CodePay)), AllowAnonymous]
    [EndpointSummary("Pay a code in an app with a card (the card fields of pay/direct, amount where the payer chooses " +
        "it, tip where asked): answers like pay/direct.")]
    [AcceptsForm(typeof(CodePayForm)), ProducesResponseType<PaymentResult>(200)]
    [ApiErrors(400, 404, 409, 410, 413, 415, 429, 502)]
    public async Task<IResult> CodePay(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/code/{code}/pay")] HttpRequest request, string code,
        CancellationToken cancellationToken)
    {
        limiter.RefuseIfSpent(request.HttpContext);
        var form = (await RequestForm.ReadAsync(request)).Root;
        try
        {
            return (await codes.PayAsync(code, form, cancellationToken)).ToResult(replayed: false);
        }
        catch (ApiException error) when (error.Status == StatusCodes.Status404NotFound)
        {
            limiter.CountMiss(request.HttpContext);
            throw;
        }
    }

    [Function(nameof(CodeQrPng)), AllowAnonymous]
    [EndpointSummary("The code's pay URL as a QR code (PNG).")]
    [ProducesResponseType(typeof(byte[]), 200, "image/png"), ApiErrors(404)]
    public IResult CodeQrPng(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/code/{code}/qr.png")] HttpRequest request, string code) =>
        CodeQr.Png(request.HttpContext.Response, PayUrlOf(code));

    [Function(nameof(CodeQrSvg)), AllowAnonymous]
    [EndpointSummary("The code's pay URL as a QR code (SVG).")]
    [ProducesResponseType(typeof(string), 200, "image/svg+xml"), ApiErrors(404)]
    public IResult CodeQrSvg(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/code/{code}/qr.svg")] HttpRequest request, string code) =>
        CodeQr.Svg(request.HttpContext.Response, PayUrlOf(code));

    /// <summary>
    /// The image encodes only the public pay URL, which anyone can write down from the digits: it is drawn without
    /// looking the code up, so it tells nobody whether a code exists.
    /// </summary>
    private string PayUrlOf(string code) => CodeService.IsCode(code) ? codes.PayUrl(code) : throw CodeService.NotFoundForPayer();

    private Ok<CodeView> View(PayableCode code, Organisation organisation) =>
        TypedResults.Ok(CodeView.From(code, organisation.Name, codes.PayUrl(code.Code)));
}

/// <summary>The payer's pages for codes (<see cref="CodePage"/>): HTML, failures as pages, like the hosted pages.</summary>
[Tags("Hosted pages")]
public sealed class CodePagesApi(CodeService codes, CodeLookupLimiter limiter)
{
    [Function(nameof(CodeEntryPage)), AllowAnonymous]
    [EndpointSummary("Type a code to pay (?code= sends the payer to its page).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(400)]
    public Task<IResult> CodeEntryPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "c")] HttpRequest request) =>
        Codes.CodePage.EnterAsync(PageRequest.For(request));

    [Function(nameof(CodePage)), AllowAnonymous]
    [EndpointSummary("A code's page (what its QR code opens): merchant, description, amount, tip; then card or EFT.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), PageErrors(404, 409, 410, 429)]
    public Task<IResult> CodePage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "c/{code}")] HttpRequest request, string code) =>
        Codes.CodePage.HandleAsync(PageRequest.For(request), codes, limiter, code);

    [Function(nameof(CodePageSubmit)), AllowAnonymous]
    [EndpointSummary("The code page's form post: the redirect to the hosted card or EFT page for the chosen amount.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(400, 403, 404, 409, 410, 429)]
    public Task<IResult> CodePageSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "c/{code}")] HttpRequest request, string code) =>
        Codes.CodePage.HandleAsync(PageRequest.For(request), codes, limiter, code);
}
