namespace Gateway.Storage.Internal;

internal static class ResponseHeaders
{
    /// <summary>
    /// The header exactly as received. The typed accessors would re-format values such as weak ETags, which must go
    /// back to the service verbatim.
    /// </summary>
    public static string? Get(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;
}
