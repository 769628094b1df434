using Gateway.Hosting;

namespace Gateway.HostedPages;

/// <summary>
/// The payer-facing pages of the documents' "Hosted (Redirect)" and "Checkout" integrations: EFT and card payment
/// pages for a payment key, the 3-D Secure challenge, the fallback receipt and the checkout widget's script. HTML for
/// browsers, not API: failures are pages with their status, never the JSON error object.
/// </summary>
public static class HostedPagesApi
{
    public static void MapHostedPages(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").WithTags("Hosted pages");
        pages.MapFunction(Functions.EftPage, ([AsParameters] PageRequest r) => EftPage.HandleAsync(r))
            .WithSummary("EFT payment page for ?payment_key= (choose bank, sign in, confirm); redirects to the merchant's URL.")
            .Produces(200, contentType: "text/html").Produces(303);
        pages.MapFunction(Functions.CardPage, ([AsParameters] PageRequest r) => CardPage.HandleAsync(r))
            .WithSummary("Card payment page for ?payment_key=; redirects to the merchant's URL or the 3-D Secure page.")
            .Produces(200, contentType: "text/html").Produces(303);
        pages.MapFunction(Functions.ThreeDsPage, ([AsParameters] PageRequest r) => ThreeDsPage.HandleAsync(r))
            .WithSummary("Simulated 3-D Secure challenge for ?transactionID=&session=.")
            .Produces(200, contentType: "text/html").Produces(303);
        pages.MapFunction(Functions.ReceiptPage, ([AsParameters] PageRequest r) => ReceiptPage.HandleAsync(r))
            .WithSummary("Receipt shown when the merchant gave no redirect URL.")
            .Produces(200, contentType: "text/html");
        pages.MapFunction(Functions.CheckoutScript, (HttpResponse response) => CheckoutScript.Serve(response))
            .WithSummary("The checkout widget: eftSec.checkout.init({paymentKey, paymentType, onLoad, cardOptions}).")
            .Produces(200, contentType: "application/javascript");
    }
}
