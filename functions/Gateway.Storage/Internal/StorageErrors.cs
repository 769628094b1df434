using System.Text.Json;
using System.Xml;

namespace Gateway.Storage.Internal;

/// <summary>Turns an unexpected storage response into a StorageException carrying the service's error code.</summary>
internal static class StorageErrors
{
    public static async Task<StorageException> FromResponseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var (bodyCode, message) = Parse(body);
        var code = ResponseHeaders.Get(response, "x-ms-error-code") ?? bodyCode;
        return Create((int)response.StatusCode, code, message, response.RequestMessage);
    }

    public static StorageException Create(int status, string? code, string? message, HttpRequestMessage? request)
    {
        var target = request?.RequestUri is { } uri ? $"{request.Method} {uri.AbsolutePath}" : "Storage request";
        var codeText = code is { Length: > 0 } ? $" {code}" : "";
        var detail = message is { Length: > 0 } ? $": {FirstLine(message)}" : "";
        return new StorageException(status, code, $"{target} failed with {status}{codeText}{detail}");
    }

    /// <summary>The error code and message from a JSON odata.error body or an XML Error body.</summary>
    public static (string? Code, string? Message) Parse(string body)
    {
        var trimmed = body.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            return ParseJson(trimmed);
        }
        if (trimmed.StartsWith('<'))
        {
            return ParseXml(trimmed);
        }
        return (null, null);
    }

    private static (string?, string?) ParseJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("odata.error", out var error)
                && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object
                    && m.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()
                    : null;
                return (code, message);
            }
        }
        catch (JsonException)
        {
            // Not the documented error shape: report the status alone.
        }
        return (null, null);
    }

    private static (string?, string?) ParseXml(string body)
    {
        try
        {
            var root = SafeXml.Load(body).Root;
            return (root?.Element("Code")?.Value, root?.Element("Message")?.Value);
        }
        catch (XmlException)
        {
            return (null, null);
        }
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}
