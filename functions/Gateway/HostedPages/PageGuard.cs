using Gateway.Api;
using Gateway.Payments;

namespace Gateway.HostedPages;

/// <summary>
/// Who may post the pages' forms. The pages set no cookies and need no login: a payment key or 3-D Secure session
/// in the URL is the only authority, so there is no ambient authority for another site to ride. Still, a payment
/// must only ever be made from the gateway's own form: each form carries a token that signs what it is for (the
/// key or session and the step), and a post that a browser marks as coming from another site is refused outright.
/// </summary>
public sealed class PageGuard(PaymentSecrets secrets, string gatewayOrigin)
{
    public const string TokenField = "form_token";
    private const string Purpose = "page-form";

    public string Token(string subject, string step) => secrets.Sign(Purpose, subject + "|" + step);

    public Markup Field(string subject, string step) => Html.Hidden(TokenField, Token(subject, step));

    /// <summary>
    /// Before the body is read: an <c>Origin</c> other than the gateway's (browsers send it on every POST, "null"
    /// included) or <c>Sec-Fetch-Site: cross-site</c> is another site's post.
    /// </summary>
    public void RefuseCrossSite(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, gatewayOrigin, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.Forbidden("This form can only be sent from the payment page itself.");
        }
        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.Forbidden("This form can only be sent from the payment page itself.");
        }
    }

    public void RequireToken(FormSection form, string subject, string step)
    {
        if (!secrets.Verify(Purpose, subject + "|" + step, form.Text(TokenField, 128)))
        {
            throw ApiException.Forbidden("This form has expired or was not sent from the payment page. Please start again.");
        }
    }
}
