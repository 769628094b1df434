using Microsoft.AspNetCore.Http.Metadata;

namespace Gateway.Api;

/// <summary>
/// The function reads a <see cref="RequestForm"/>: documented with the JSON shape, which form bodies mirror in PHP
/// bracket notation (<c>{"User":{"name":"x"}}</c> is <c>User[name]=x</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsFormAttribute(Type body, params string[] alsoAccepted) : Attribute, IAcceptsMetadata
{
    public IReadOnlyList<string> ContentTypes { get; } = ["application/json", "application/x-www-form-urlencoded", .. alsoAccepted];

    public Type? RequestType => body;

    public bool IsOptional => false;
}

/// <summary>The failures the function may answer, each in the API's error object (<see cref="ApiError"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiErrorsAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;

    /// <summary>What the OpenAPI description takes from it: one error response per status.</summary>
    public IEnumerable<IProducesResponseTypeMetadata> Responses =>
        Statuses.Select(status => new ProducesResponseTypeMetadata(status, typeof(ApiError), ["application/json"]));
}

/// <summary>The function honours an <c>Idempotency-Key</c> header (see <c>Payments/Idempotency.cs</c>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsIdempotencyKeyAttribute : Attribute
{
    public const string Description = "1–255 printable ASCII characters, e.g. a UUID. The first response is kept for 31 days " +
        "and replayed (with Idempotent-Replayed: true) to retries with the same body; another body is 422; a retry while " +
        "the first is still running is 409.";
}
