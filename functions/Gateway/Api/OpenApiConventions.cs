using Microsoft.OpenApi;

namespace Gateway.Api;

/// <summary>What the OpenAPI description says about bodies and errors, declared next to each endpoint.</summary>
public static class OpenApiConventions
{
    /// <summary>
    /// The endpoint reads a <see cref="RequestForm"/>: documented with the JSON shape, which form bodies mirror in
    /// PHP bracket notation (<c>{"User":{"name":"x"}}</c> is <c>User[name]=x</c>).
    /// </summary>
    public static RouteHandlerBuilder AcceptsForm<TBody>(this RouteHandlerBuilder builder) where TBody : notnull =>
        builder.Accepts<TBody>("application/json", "application/x-www-form-urlencoded");

    public static RouteHandlerBuilder ProducesApiErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<ApiError>(status, "application/json");
        }
        return builder;
    }

    /// <summary>The endpoint honours an <c>Idempotency-Key</c> header (see <c>Payments/Idempotency.cs</c>).</summary>
    public static RouteHandlerBuilder AcceptsIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Required = false,
                Description = "1–255 printable ASCII characters, e.g. a UUID. The first response is kept for 31 days and replayed " +
                    "(with Idempotent-Replayed: true) to retries with the same body; another body is 422; a retry while the first " +
                    "is still running is 409.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
            });
            return Task.CompletedTask;
        });
}
