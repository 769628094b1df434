using Gateway.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.HostedPages;

/// <summary>
/// The payer-facing pages of the documents' "Hosted (Redirect)" and "Checkout" integrations: EFT and card payment
/// pages for a payment key, the 3-D Secure challenge, the fallback receipt and the checkout widget's script. HTML for
/// browsers, not API: failures are pages with their status, never the JSON error object. Each page is a function for
/// GET and another for its form's POST, one method each, so every operation has its own id.
/// </summary>
[Tags("Hosted pages")]
public sealed class HostedPagesApi
{
    [Function(nameof(EftPage)), AllowAnonymous]
    [EndpointSummary("EFT payment page for ?payment_key= (choose bank, sign in, confirm); redirects to the merchant's URL.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(400, 404, 409, 410)]
    public Task<IResult> EftPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "eft")] HttpRequest request) =>
        HostedPages.EftPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(EftPageSubmit)), AllowAnonymous]
    [EndpointSummary("A step of the EFT payment page (its form posts): the next page, or the redirect to the merchant's URL.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(400, 403, 404, 409, 410)]
    public Task<IResult> EftPageSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "eft")] HttpRequest request) =>
        HostedPages.EftPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(CardPage)), AllowAnonymous]
    [EndpointSummary("Card payment page for ?payment_key=; redirects to the merchant's URL or the 3-D Secure page.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(400, 404, 409, 410)]
    public Task<IResult> CardPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "card")] HttpRequest request) =>
        HostedPages.CardPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(CardPageSubmit)), AllowAnonymous]
    [EndpointSummary("The card payment page's form post: the page again with its errors, or the redirect onwards.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(400, 403, 404, 409, 410)]
    public Task<IResult> CardPageSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "card")] HttpRequest request) =>
        HostedPages.CardPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(ThreeDsPage)), AllowAnonymous]
    [EndpointSummary("Simulated 3-D Secure challenge for ?transactionID=&session=.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(404, 409)]
    public Task<IResult> ThreeDsPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "gatewaytransactions/3ds")] HttpRequest request) =>
        HostedPages.ThreeDsPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(ThreeDsPageSubmit)), AllowAnonymous]
    [EndpointSummary("The 3-D Secure challenge's form post: the redirect to the merchant's URL.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    [PageErrors(400, 403, 404, 409)]
    public Task<IResult> ThreeDsPageSubmit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "gatewaytransactions/3ds")] HttpRequest request) =>
        HostedPages.ThreeDsPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(ReceiptPage)), AllowAnonymous]
    [EndpointSummary("Receipt shown when the merchant gave no redirect URL.")]
    [ProducesResponseType(typeof(string), 200, "text/html")]
    [PageErrors(400, 410)]
    public Task<IResult> ReceiptPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "receipt")] HttpRequest request) =>
        HostedPages.ReceiptPage.HandleAsync(PageRequest.For(request));

    [Function(nameof(CheckoutScript)), AllowAnonymous]
    [EndpointSummary("The checkout widget: eftSec.checkout.init({paymentKey, paymentType, onLoad, cardOptions}).")]
    [ProducesResponseType(typeof(string), 200, "application/javascript")]
    public IResult CheckoutScript(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ext/checkout/v3/checkout.js")] HttpRequest request) =>
        HostedPages.CheckoutScript.Serve(request.HttpContext.Response);
}
