using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

[Tags("Authentication")]
public sealed class TokensApi(TokenService tokens)
{
    /// <summary><c>expires</c> is shown in the user's organisation's time zone (UTC for operators).</summary>
    [Function(nameof(TokenCreate)), Authorize(Policy = Policies.PasswordLogin)]
    [EndpointSummary("Exchange a username and password (basic auth) for a bearer token."), ApiErrors(401, 403, 429)]
    public async Task<Ok<TokenResponse>> TokenCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/token")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var (token, expires) = await tokens.IssueAsync(caller.User!, cancellationToken);
        var zone = caller.Organisation is { } organisation ? ApiTime.Zone(organisation.TimeZone) : TimeZoneInfo.Utc;
        return TypedResults.Ok(new TokenResponse(token, ApiTime.Show(expires, zone)));
    }
}
