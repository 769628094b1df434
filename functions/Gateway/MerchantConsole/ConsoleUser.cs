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

    /// <summary>A platform operator, looking at the organisation they chose.</summary>
    public bool IsOperator => User.Role == Roles.Operator;

    /// <summary>Administrators and operators see all of the organisation; what they may change follows the API.</summary>
    public bool SeesEverything => IsAdministrator || IsOperator;

    /// <summary>Agents see only the transactions they made.</summary>
    public long? OwnTransactionsOnly => SeesEverything ? null : User.Id;

    /// <summary>The hidden field every console form carries.</summary>
    public Markup CsrfField => Html.Hidden(CsrfName, CsrfToken);
}

/// <summary>An operator signed in who has not chosen an organisation to look at yet.</summary>
public sealed record ConsoleOperator(User User, ConsoleSession Session, string CsrfToken)
{
    public Markup CsrfField => Html.Hidden(ConsoleUser.CsrfName, CsrfToken);
}

/// <summary>A console request's signed-in state: a user at an organisation, an operator choosing one, or nobody.</summary>
public sealed record ConsoleState(ConsoleUser? User, ConsoleOperator? ChoosesOrganisation)
{
    public static readonly ConsoleState SignedOut = new(null, null);
}

/// <summary>
/// The console's sign-in state: a session cookie (<c>HttpOnly</c>, <c>SameSite=Strict</c>, <c>Secure</c> whenever the
/// gateway's public address is https) naming a <see cref="SessionService"/> session, and for every form post, a
/// check that it comes from the console itself: the browser's <c>Origin</c> must be the gateway's and the form must
/// carry the session's CSRF token (an HMAC of the session id, so it needs no storage and dies with the session).
/// </summary>
public sealed class ConsoleAuth(SessionService sessions, PasswordSignIn signIn, IdentityStore organisations, PaymentSecrets secrets,
    Microsoft.Extensions.Options.IOptions<PaymentOptions> payments)
{
    public const string Cookie = "gw_console";
    private const string CsrfPurpose = "console-csrf";

    private string Origin => payments.Value.BaseUri.GetLeftPart(UriPartial.Authority);

    private bool Secure => payments.Value.BaseUri.Scheme == Uri.UriSchemeHttps;

    /// <summary>The signed-in user, or null (no cookie, an ended or timed-out session, a changed password).</summary>
    public async Task<ConsoleUser?> UserAsync(HttpRequest request, CancellationToken cancellationToken) =>
        (await StateAsync(request, cancellationToken)).User;

    /// <summary>
    /// Who is signed in and looking at what: an organisation's user; an operator with the organisation they chose
    /// (<see cref="ConsoleState.ChoosesOrganisation"/> until they chose one); or nobody.
    /// </summary>
    public async Task<ConsoleState> StateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Cookies[Cookie] is not { } id) return ConsoleState.SignedOut;
        if (await sessions.ResumeAsync(id, cancellationToken) is not { } session) return ConsoleState.SignedOut;
        var (user, organisation) = await signIn.LoadAsync(session.OrganisationId, session.UserId, cancellationToken);
        if (user is null || user.CredentialVersion != session.CredentialVersion) return ConsoleState.SignedOut;
        var csrf = secrets.Sign(CsrfPurpose, session.Id);
        if (user.Role == Roles.Operator)
        {
            organisation = session.ActingFor is { } chosen ? await organisations.GetOrganisationAsync(chosen, cancellationToken) : null;
            if (organisation is null) return new ConsoleState(null, new ConsoleOperator(user, session, csrf));
        }
        return organisation is null ? ConsoleState.SignedOut : new ConsoleState(new ConsoleUser(user, organisation, session, csrf), null);
    }

    /// <summary>An operator's session looks at this organisation from now on.</summary>
    public Task ActForAsync(ConsoleSession session, long organisationId, CancellationToken cancellationToken) =>
        sessions.ActForAsync(session.Id, organisationId, cancellationToken);

    public async Task SignInAsync(HttpResponse response, User user, CancellationToken cancellationToken)
    {
        var id = await sessions.StartAsync(user, cancellationToken);
        response.Cookies.Append(Cookie, id, new CookieOptions
        {
            HttpOnly = true, Secure = Secure, SameSite = SameSiteMode.Strict, Path = "/console", IsEssential = true,
        });
    }

    public async Task SignOutAsync(HttpResponse response, ConsoleSession session, CancellationToken cancellationToken)
    {
        await sessions.EndAsync(session.Id, cancellationToken);
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

    public void RequireCsrf(ConsoleUser user, FormSection form) => RequireCsrf(user.Session, form);

    public void RequireCsrf(ConsoleSession session, FormSection form)
    {
        if (!secrets.Verify(CsrfPurpose, session.Id, form.Text(ConsoleUser.CsrfName, 128)))
        {
            throw ApiException.Forbidden("This form has expired or was not sent from the console. Reload the page and try again.");
        }
    }
}
