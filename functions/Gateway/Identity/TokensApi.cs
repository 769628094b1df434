using Gateway.Api;
using Gateway.Hosting;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Identity;

public static class TokensApi
{
    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        app.MapFunction(Functions.TokenCreate, CreateAsync)
            .RequireAuthorization(Policies.PasswordLogin)
            .WithTags("Authentication")
            .WithSummary("Exchange a username and password (basic auth) for a bearer token.")
            .ProducesApiErrors(401, 403);
    }

    /// <summary><c>expires</c> is shown in the user's organisation's time zone (UTC for operators).</summary>
    private static async Task<Ok<TokenResponse>> CreateAsync(Caller caller, TokenService tokens, CancellationToken cancellationToken)
    {
        var (token, expires) = await tokens.IssueAsync(caller.User!, cancellationToken);
        var zone = caller.Organisation is { } organisation ? ApiTime.Zone(organisation.TimeZone) : TimeZoneInfo.Utc;
        return TypedResults.Ok(new TokenResponse(token, ApiTime.Show(expires, zone)));
    }
}
