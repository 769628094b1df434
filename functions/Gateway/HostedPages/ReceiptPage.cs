using Gateway.Api;
using Gateway.Payments;

namespace Gateway.HostedPages;

/// <summary>
/// <c>/receipt</c>: where the payer lands when the merchant gave no URL for the outcome. It shows only what its
/// query says (escaped): it has no credentials, so anyone can make one, and it claims nothing the query does not.
/// In checkout mode (<c>checkout=1&amp;payment_key=...&amp;expires=...&amp;next=URL&amp;sig=...</c>) it is the end of
/// the flow inside the widget's frame: its script hands the signed URL to the merchant's page, which leaves for it.
/// </summary>
public static class ReceiptPage
{
    public const string CompleteMessage = "eftsec.checkout.complete";

    /// <summary>Posts to the parent with targetOrigin '*': the URL is no secret, and the parent's origin is the merchant's, unknown here.</summary>
    private const string HandOver = """
        (function () {
          var next = document.getElementById('next');
          var url = next.getAttribute('href');
          if (window.parent !== window) {
            window.parent.postMessage({ type: 'eftsec.checkout.complete', url: url }, '*');
          } else {
            window.location.replace(url);
          }
        })();
        """;

    public static Task<IResult> HandleAsync(PageRequest r) => r.RenderAsync(async () =>
    {
        if (r.Checkout)
        {
            var (next, key, expires) = (r.Query("next"), r.Query("payment_key"), r.Query("expires"));
            if (next is null || key is null || expires is null || !r.Secrets.Verify(PageRequest.CheckoutNextPurpose,
                    PageRequest.CheckoutNextSigned(key, expires, next), r.Query("sig")))
            {
                throw ApiException.BadRequest("This link is not valid.");
            }
            if (!long.TryParse(expires, System.Globalization.CultureInfo.InvariantCulture, out var until)
                || r.Time.GetUtcNow() > DateTimeOffset.FromUnixTimeSeconds(until))
            {
                throw new ApiException(StatusCodes.Status410Gone, "This link has expired.");
            }
            r.FramedKey = (await r.Hosted.OpenAsync(key, r.Aborted))?.Key;
            var handOver = Html.Of($"""
                <h1>Payment finished</h1>
                <p>Returning you to the shop…</p>
                <p><a id="next" href="{next}" target="_top">Continue</a></p>
                """);
            return new HtmlPage("Payment finished", handOver) { FrameAncestors = r.FrameAncestors, Script = HandOver };
        }

        var status = Shown(r.Query("status"));
        var heading = status switch
        {
            TransactionStatus.Complete => "Payment successful",
            TransactionStatus.Authorised => "Payment authorised",
            TransactionStatus.Failed => "Payment not completed",
            _ => "Payment status",
        };
        var body = Html.Of($"""
            <h1>{heading}</h1>
            <dl class="summary">
            <dt>Status</dt><dd class="status">{status ?? "unknown"}</dd>
            <dt>Transaction</dt><dd class="transaction">{Shown(r.Query("transaction_id")) ?? "-"}</dd>
            </dl>
            <p class="note">You can close this page.</p>
            """);
        return r.Page(heading, body);
    });

    private static string? Shown(string? text) => text is null ? null : text.Length > 64 ? text[..64] : text;
}
