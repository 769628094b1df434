using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Gateway.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

/// <summary>
/// One authentication scheme for the whole API, reading whichever credential the request carries:
/// <c>Authorization: Basic</c> (username and password), <c>Authorization: Bearer</c> (a token from
/// <c>POST /api/v1/token</c>) or <c>x-api-key</c>. The resolved <see cref="Caller"/> (user and organisation
/// already loaded) goes on the request for handlers; 401 and 403 are written in the API's error shape.
/// </summary>
public sealed class GatewayAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IdentityStore store,
    PasswordSignIn signIn,
    TokenService tokens,
    ApiKeyService apiKeys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Gateway";
    public const string ApiKeyHeader = "x-api-key";
    public const string TokenParameter = "token";
    private const string FailureKey = "Gateway.AuthFailure";
    private const string RetryAfterKey = "Gateway.AuthRetryAfter";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (caller, credential) = await ResolveAsync();
        if (caller is null) return AuthenticateResult.NoResult();
        Context.Features.Set(caller);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Role, caller.Role), new Claim(IdentitySetup.CredentialClaim, credential)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterKey] is TimeSpan wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ErrorHandling.WriteAsync(Context, StatusCodes.Status429TooManyRequests,
                $"Too many failed sign-ins for this username; try again in {seconds} seconds.");
        }
        var message = Context.Items[FailureKey] as string ?? "Your request was made with invalid credentials.";
        // Code management (document 004) answers "invalid merchant login details" with 403, not 401.
        if (Request.Path.StartsWithSegments(CodeApiPath)) return ErrorHandling.WriteAsync(Context, StatusCodes.Status403Forbidden, message);
        Response.Headers.WWWAuthenticate = "Basic realm=\"Gateway\", charset=\"UTF-8\"";
        return ErrorHandling.WriteAsync(Context, StatusCodes.Status401Unauthorized, message);
    }

    private static readonly PathString CodeApiPath = "/api/code";

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteAsync(Context, StatusCodes.Status403Forbidden, "You are not allowed to perform this action.");

    /// <summary>The caller and how they proved it (basic, bearer or api-key), or no caller.</summary>
    private async Task<(Caller?, string)> ResolveAsync()
    {
        var apiKey = Request.Headers[ApiKeyHeader].ToString();
        if (apiKey.Length > 0) return (await FromApiKeyAsync(apiKey), "api-key");

        if (Request.Headers.Authorization.Count == 0)
        {
            // The documents' alternative to basic auth: the token as a request parameter, "token=...".
            return await TokenParameterAsync() is { } token ? (await FromTokenAsync(token), "bearer") : (null, "");
        }
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
        {
            return (Fail("The Authorization header is malformed."), "");
        }
        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return (await FromBasicAsync(header.Parameter), "basic");
        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return (await FromTokenAsync(header.Parameter), "bearer");
        return (Fail("Use Basic or Bearer authorization, or an x-api-key header."), "");
    }

    /// <summary>
    /// A <c>token</c> in the query, or in a form or JSON body (read once, for the function too). It is never logged:
    /// request lines carry no query strings or bodies, and idempotency fingerprints leave it out.
    /// </summary>
    private async Task<string?> TokenParameterAsync()
    {
        if (Request.Query.TryGetValue(TokenParameter, out var query)) return query.Count == 1 ? query[0] : null;
        if (!RequestForm.IsFormOrJson(Request)) return null;
        var form = await RequestForm.ReadAsync(Request);
        return form.Root.Has(TokenParameter) ? form.Root.Text(TokenParameter, 512) : null;
    }

    private async Task<Caller?> FromBasicAsync(string parameter)
    {
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(parameter));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return Fail("The Basic credentials are not valid base64 of username:password.");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return Fail("The Basic credentials are not valid base64 of username:password.");
        var result = await signIn.CheckAsync(decoded[..colon], decoded[(colon + 1)..], Context.RequestAborted);
        if (result.RetryAfter is { } wait)
        {
            Context.Items[RetryAfterKey] = wait;
            return null;
        }
        return result.Succeeded ? Authenticated(result.User!, result.Organisation) : Fail(result.Failure!);
    }

    private async Task<Caller?> FromTokenAsync(string token)
    {
        var holder = await tokens.FindAsync(token, Context.RequestAborted);
        if (holder is null) return Fail("The token is invalid or has expired.");
        var (user, organisation) = await LoadAsync(holder.OrganisationId, holder.UserId);
        if (user is null || user.CredentialVersion != holder.CredentialVersion)
        {
            return Fail("The token is no longer valid; request a new one.");
        }
        return Authenticated(user, organisation);
    }

    private async Task<Caller?> FromApiKeyAsync(string secret)
    {
        var key = await apiKeys.FindAsync(secret, Context.RequestAborted);
        var organisation = key is { } found ? await store.GetOrganisationAsync(found.OrganisationId, Context.RequestAborted) : null;
        if (organisation is null) return Fail("The API key is invalid or has been revoked.");
        if (key!.Value.Mode == OrganisationModes.Live && organisation.Mode != OrganisationModes.Live)
        {
            return Fail("This live key cannot be used while the organisation is in test mode.");
        }
        return new Caller(null, organisation, Roles.ApiKey) { KeyMode = key.Value.Mode };
    }

    private Task<(User?, Organisation?)> LoadAsync(long? organisationId, long userId) =>
        signIn.LoadAsync(organisationId, userId, Context.RequestAborted);

    private static Caller? Authenticated(User user, Organisation? organisation) =>
        user.OrganisationId is not null && organisation is null
            ? null
            : new Caller(user, organisation, user.Role);

    private Caller? Fail(string message)
    {
        Context.Items[FailureKey] = message;
        return null;
    }
}
