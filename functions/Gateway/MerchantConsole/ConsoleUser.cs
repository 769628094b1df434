using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;

namespace Gateway.MerchantConsole;

/// <summary>The signed-in user of a console request, their organisation and session.</summary>
public sealed record ConsoleUser(User User, Organisation Organisation, ConsoleSession Session, string CsrfToken)
{
    public const string CsrfName = "csrf";

    public bool IsAdministrator => User.Role == Roles.Administrator;

    /// <summary>Agents see only the transactions they made.</summary>
    public long? OwnTransactionsOnly => IsAdministrator ? null : User.Id;

    /// <summary>The hidden field every console form carries.</summary>
    public Markup CsrfField => Html.Hidden(CsrfName, CsrfToken);
}

/// <summary>
/// The console's sign-in state: a session cookie (<c>HttpOnly</c>, <c>SameSite=Strict</c>, <c>Secure</c> whenever the
/// gateway's public address is https) naming a <see cref="SessionService"/> session, and for every form post, a
/// check that it comes from the console itself: the browser's <c>Origin</c> must be the gateway's and the form must
/// carry the session's CSRF token (an HMAC of the session id, so it needs no storage and dies with the session).
/// </summary>
public sealed class ConsoleAuth(SessionService sessions, PasswordSignIn signIn, PaymentSecrets secrets,
    Microsoft.Extensions.Options.IOptions<PaymentOptions> payments)
{
    public const string Cookie = "gw_console";
    private const string CsrfPurpose = "console-csrf";

    private string Origin => payments.Value.BaseUri.GetLeftPart(UriPartial.Authority);

    private bool Secure => payments.Value.BaseUri.Scheme == Uri.UriSchemeHttps;

    /// <summary>The signed-in user, or null (no cookie, an ended or timed-out session, a changed password).</summary>
    public async Task<ConsoleUser?> UserAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Cookies[Cookie] is not { } id) return null;
        if (await sessions.ResumeAsync(id, cancellationToken) is not { } session) return null;
        var (user, organisation) = await signIn.LoadAsync(session.OrganisationId, session.UserId, cancellationToken);
        if (user is null || organisation is null || user.CredentialVersion != session.CredentialVersion) return null;
        return new ConsoleUser(user, organisation, session, secrets.Sign(CsrfPurpose, session.Id));
    }

    public async Task SignInAsync(HttpResponse response, User user, CancellationToken cancellationToken)
    {
        var id = await sessions.StartAsync(user, cancellationToken);
        response.Cookies.Append(Cookie, id, new CookieOptions
        {
            HttpOnly = true, Secure = Secure, SameSite = SameSiteMode.Strict, Path = "/console", IsEssential = true,
        });
    }

    public async Task SignOutAsync(HttpResponse response, ConsoleUser user, CancellationToken cancellationToken)
    {
        await sessions.EndAsync(user.Session.Id, cancellationToken);
        response.Cookies.Delete(Cookie, new CookieOptions { Path = "/console", Secure = Secure, SameSite = SameSiteMode.Strict });
    }

    /// <summary>
    /// Before the body is read: another site's post (by <c>Origin</c> or <c>Sec-Fetch-Site</c>) is refused, whatever
    /// it carries.
    /// </summary>
    public void RefuseCrossSite(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if ((origin.Length > 0 && !string.Equals(origin, Origin, StringComparison.OrdinalIgnoreCase))
            || string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.Forbidden("This form can only be sent from the console itself.");
        }
    }

    public void RequireCsrf(ConsoleUser user, FormSection form)
    {
        if (!secrets.Verify(CsrfPurpose, user.Session.Id, form.Text(ConsoleUser.CsrfName, 128)))
        {
            throw ApiException.Forbidden("This form has expired or was not sent from the console. Reload the page and try again.");
        }
    }
}
