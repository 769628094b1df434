using System.Net.Http.Headers;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>Requests with the headers every Table operation needs.</summary>
internal static class TableHttp
{
    public const string Version = "2019-02-02";

    public static HttpRequestMessage Request(
        HttpMethod method, string url, byte[]? json = null, string? ifMatch = null, bool preferNoContent = false)
    {
        var request = new HttpRequestMessage(method, new Uri(url));
        // Without Accept the service answers in Atom XML; minimalmetadata keeps type annotations and odata.etag.
        request.Headers.TryAddWithoutValidation("Accept", "application/json;odata=minimalmetadata");
        request.Headers.TryAddWithoutValidation("DataServiceVersion", "3.0;NetFx");
        request.Headers.TryAddWithoutValidation("MaxDataServiceVersion", "3.0;NetFx");
        if (ifMatch is not null)
        {
            // Verbatim: the typed header would re-format weak ETags, which Azurite insists on.
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        if (preferNoContent)
        {
            request.Headers.TryAddWithoutValidation("Prefer", "return-no-content");
        }
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return request;
    }

    public static string? ETag(HttpResponseMessage response) => ResponseHeaders.Get(response, "ETag");
}
