using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.HostedPages;

/// <summary>
/// The documents' "EFTsecure Self Hosted (Enterprise)" integration: the plugin (<c>/js/eft-secure.min.js</c>, styled
/// by <c>/css/eftx.css</c>) that runs on the merchant's own page, and the JSON API it calls for a payment key. The
/// documents' plugin spoke JSONP; this one uses CORS, which any origin may read (<c>Access-Control-Allow-Origin: *</c>)
/// because the payment key is the only authority: no cookies, no credentials. Its requests are simple ones (a GET, and
/// form-encoded POSTs) so browsers send no preflight. The steps, outcomes and refusals are the hosted EFT page's
/// (<see cref="EftSteps"/>), each step's <see cref="PageGuard"/> token carried in the JSON as <c>form_token</c>.
/// Unlike the pages' forms, posts from other sites are the point here, so only the token guards them.
/// </summary>
[Tags(Tag)]
public sealed class EftxApi
{
    public const string Tag = "EFTsecure self hosted";

    [Function(nameof(EftxStart)), AllowAnonymous]
    [EndpointSummary("The self-hosted EFT plugin's first step for ?payment_key=: merchant, amount, banks, form_token.")]
    [ProducesResponseType<EftxAnswer>(200)]
    [ApiErrors(400, 404, 409, 410)]
    public async Task<IResult> EftxStart(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/eftx")] HttpRequest request)
    {
        var r = Prepare(request);
        return Answer(r, EftSteps.Start(await r.OpenPayableAsync(r.Query("payment_key"))));
    }

    [Function(nameof(EftxSubmit)), AllowAnonymous]
    [EndpointSummary("A step of the self-hosted EFT plugin (payment_key, step, form_token, action, the step's fields): " +
        "the next step, or the outcome and the URL to send the payer to.")]
    [AcceptsForm(typeof(EftxStepForm)), ProducesResponseType<EftxAnswer>(200)]
    [ApiErrors(400, 403, 404, 409, 410, 413, 415)]
    public async Task<IResult> EftxSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/eftx")] HttpRequest request)
    {
        var r = Prepare(request);
        var form = (await RequestForm.ReadAsync(request)).Root;
        return Answer(r, await EftSteps.SubmitAsync(r, form, form.Text("payment_key", 64)));
    }

    [Function(nameof(EftxScript)), AllowAnonymous]
    [EndpointSummary("The self-hosted EFT plugin: new Eftx({key, baseUrl, formId, titleId, subTitleId, cssFramework, " +
        "buttonContainerId, onLoadStart, onLoadStop, onCancelUrl, onCompleteUrl}).")]
    [ProducesResponseType(typeof(string), 200, "application/javascript")]
    public IResult EftxScript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "js/eft-secure.min.js")] HttpRequest request) =>
        StaticAsset.Serve(request.HttpContext.Response, HostedPages.EftxScript.Source, StaticAsset.JavaScript);

    [Function(nameof(EftxStylesheet)), AllowAnonymous]
    [EndpointSummary("The self-hosted EFT plugin's stylesheet for its bootstrap snippet (loader, inline modal, errors).")]
    [ProducesResponseType(typeof(string), 200, "text/css")]
    public IResult EftxStylesheet(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "css/eftx.css")] HttpRequest request) =>
        StaticAsset.Serve(request.HttpContext.Response, EftxStyle.Css, StaticAsset.Css);

    /// <summary>
    /// The headers every answer needs, errors included: set as the response starts, because the error object is
    /// written on a cleared response. Readable from any origin; never cached (amounts, tokens and merchant URLs).
    /// </summary>
    private static PageRequest Prepare(HttpRequest request)
    {
        var response = request.HttpContext.Response;
        response.OnStarting(() =>
        {
            response.Headers.AccessControlAllowOrigin = "*";
            response.Headers.CacheControl = "no-store";
            response.Headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        return PageRequest.For(request);
    }

    /// <summary>A step as JSON; a form shown again with a problem is the 400 error object with that problem.</summary>
    private static IResult Answer(PageRequest r, EftStep step)
    {
        var (key, organisation) = step.Payment;
        var answer = new EftxAnswer("", "", "", organisation.Name, Money.Display(key.AmountMinor, key.Currency),
            key.MerchantReference, null, null, null, null, null, null);
        return TypedResults.Ok(step is EftDone { Outcome: var (t, url) }
            ? Done(answer, t, url)
            : Form(r, answer, (EftForm)step));
    }

    private static EftxAnswer Form(PageRequest r, EftxAnswer answer, EftForm form)
    {
        if (form.Problem is { } problem) throw ApiException.BadRequest(problem);
        answer = answer with { Step = form.Step, Title = EftSteps.Title(form), Bank = form.Bank,
            FormToken = r.Guard.Token(form.Payment.Key.Key, form.Step) };
        return form.Step switch
        {
            EftSteps.BankStep => answer with { Subtitle = "Choose your bank.", Banks = Banks.All },
            EftSteps.LoginStep => answer with { Subtitle = "Sign in with your internet banking details." },
            _ => answer with
            {
                Subtitle = $"{answer.Amount} to {EftSteps.PayTo(form.Payment)} from {form.Bank} account ending "
                    + $"{form.Account![^4..]}.",
                Account = form.Account, PayTo = EftSteps.PayTo(form.Payment),
            },
        };
    }

    private static EftxAnswer Done(EftxAnswer answer, PaymentTransaction t, string url)
    {
        var cancelled = t.Reason == HostedPayments.CancelledReason;
        var (title, subtitle) = t.Status == TransactionStatus.Complete ? ("Payment complete", "Your payment was received.")
            : cancelled ? ("Payment cancelled", "You cancelled the payment.")
            : ("Payment failed", $"Your payment did not go through: {t.Reason}.");
        return answer with
        {
            Step = "done", Title = title, Subtitle = subtitle,
            Outcome = new EftxOutcome(t.Status, t.Id, t.Reason, cancelled, url),
        };
    }
}

/// <summary>
/// A step of the self-hosted EFT flow: what to show (title, subtitle, the payment) and what the next post carries
/// back (<c>step</c>, <c>form_token</c>, <c>bank</c>, <c>account</c>); at the end, the outcome.
/// </summary>
public sealed record EftxAnswer(
    [property: JsonPropertyName("step")] string Step,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("subtitle")] string Subtitle,
    [property: JsonPropertyName("merchant")] string Merchant,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("form_token")] string? FormToken,
    [property: JsonPropertyName("banks")] IReadOnlyList<string>? Banks,
    [property: JsonPropertyName("bank")] string? Bank,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("pay_to")] string? PayTo,
    [property: JsonPropertyName("outcome")] EftxOutcome? Outcome);

/// <summary>
/// How the flow ended: the transaction, and the key's merchant URL for it (with <c>payment_key</c>,
/// <c>transaction_id</c> and <c>status</c> added), or the gateway's receipt page when the merchant gave none.
/// </summary>
public sealed record EftxOutcome(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("transaction_id")] long TransactionId,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("cancelled")] bool Cancelled,
    [property: JsonPropertyName("redirect_url")] string RedirectUrl);

/// <summary>
/// A post of the self-hosted EFT flow, for the OpenAPI description. <c>step</c> and <c>form_token</c> come from the
/// last answer; <c>action</c> is <c>continue</c> (default) or <c>cancel</c>. The bank step needs <c>bank</c>, the login
/// step also <c>account</c> and <c>password</c> (checked, never kept), the confirm step <c>bank</c> and <c>account</c>.
/// </summary>
public sealed record EftxStepForm(
    string PaymentKey, string Step, string FormToken, string? Action, string? Bank, string? Account, string? Password);
