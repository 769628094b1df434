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
}
