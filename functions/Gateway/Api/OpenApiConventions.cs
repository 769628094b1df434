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

/// <summary>The failures a function declares, for the OpenAPI description: one response per status.</summary>
public interface IErrorResponses
{
    IEnumerable<IProducesResponseTypeMetadata> Responses { get; }
}

/// <summary>The failures the function may answer, each in the API's error object (<see cref="ApiError"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiErrorsAttribute(params int[] statuses) : Attribute, IErrorResponses
{
    public IReadOnlyList<int> Statuses { get; } = statuses;

    public IEnumerable<IProducesResponseTypeMetadata> Responses =>
        Statuses.Select(status => new ProducesResponseTypeMetadata(status, typeof(ApiError), ["application/json"]));
}

/// <summary>The failures a hosted page may answer, each as a page for the payer (text/html) with its status.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PageErrorsAttribute(params int[] statuses) : Attribute, IErrorResponses
{
    public IEnumerable<IProducesResponseTypeMetadata> Responses =>
        statuses.Select(status => new ProducesResponseTypeMetadata(status, typeof(string), ["text/html"]));
}

/// <summary>The function honours an <c>Idempotency-Key</c> header (see <c>Payments/Idempotency.cs</c>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsIdempotencyKeyAttribute : Attribute
{
    public const string Description = "1–255 printable ASCII characters, e.g. a UUID. The first response is kept for 31 days " +
        "and replayed (with Idempotent-Replayed: true) to retries with the same body; another body is 422; a retry while " +
        "the first is still running is 409.";
}
