using Gateway.Api;

namespace Gateway.Identity;

/// <summary>
/// Who is calling, resolved once per request by <see cref="GatewayAuthentication"/>: a user (basic auth or bearer
/// token) with their organisation loaded, or an organisation's API key. Functions read it with <c>request.Caller()</c>.
/// </summary>
public sealed record Caller(User? User, Organisation? Organisation, string Role)
{
    public bool IsOperator => User is not null && Role == Roles.Operator;
    public bool IsAdministrator => User is not null && Role == Roles.Administrator;
    public bool IsAgent => User is not null && Role == Roles.Agent;

    /// <summary>An API key's own mode (test or live); null for users. A test key of a live organisation stays in test.</summary>
    public string? KeyMode { get; init; }

    /// <summary>The caller's organisation; operators and callers without one are refused.</summary>
    public Organisation RequireOrganisation() =>
        Organisation ?? throw ApiException.Forbidden("This action needs an organisation's credentials.");

    /// <summary>
    /// An organisation id from the URL, checked against the caller. Another organisation's id answers 404, exactly
    /// like an id that does not exist, so ids cannot be probed. Operators may name any organisation.
    /// </summary>
    public long ScopeOrganisation(string routeId)
    {
        if (!Ids.TryParse(routeId, out var id)) throw ApiException.NotFound("Organisation not found.");
        if (!IsOperator && Organisation?.Id != id) throw ApiException.NotFound("Organisation not found.");
        return id;
    }

}

public static class CallerExtensions
{
    /// <summary>
    /// The authenticated caller of a function marked <c>[Authorize]</c> (the pipeline has authenticated it before
    /// the function runs).
    /// </summary>
    public static Caller Caller(this HttpRequest request) =>
        request.HttpContext.Features.Get<Caller>() ?? throw ApiException.Unauthorized("Authentication is required.");
}
