using System.Security.Cryptography;
using System.Text;

namespace Gateway.Storage.Internal;

internal enum SigningFormat
{
    /// <summary>Table SharedKey: VERB, Content-MD5, Content-Type, Date (x-ms-date), resource with only ?comp.</summary>
    Table,

    /// <summary>Blob/Queue SharedKey: twelve standard headers, canonicalized x-ms-* headers, resource with all query parameters.</summary>
    Queue,
}

/// <summary>Signs a fully built request (content attached) with the account key.</summary>
internal sealed class SharedKeySigner(string accountName, byte[] accountKey, SigningFormat format)
{
    private static readonly string[] QueueStandardHeaders =
    [
        "Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
        "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range",
    ];

    public void Sign(HttpRequestMessage request)
    {
        var stringToSign = StringToSign(request);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {accountName}:{signature}");
    }

    internal string StringToSign(HttpRequestMessage request) => format == SigningFormat.Table
        ? TableStringToSign(request)
        : QueueStringToSign(request);

    private string TableStringToSign(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var builder = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append(Header(request, "Content-MD5")).Append('\n')
            .Append(Header(request, "Content-Type")).Append('\n')
            .Append(Header(request, "Date") is { Length: > 0 } date ? date : Header(request, "x-ms-date")).Append('\n')
            // The path as sent, still percent-encoded. Path-style endpoints (Azurite) make the account appear twice.
            .Append('/').Append(accountName).Append(uri.AbsolutePath);
        var comp = QueryParameters(uri).FirstOrDefault(p => p.Name == "comp");
        if (comp.Name is not null)
        {
            builder.Append("?comp=").Append(comp.Value);
        }
        return builder.ToString();
    }

    private string QueueStringToSign(HttpRequestMessage request)
    {
        var builder = new StringBuilder().Append(request.Method.Method).Append('\n');
        foreach (var name in QueueStandardHeaders)
        {
            var value = Header(request, name);
            // Since 2015-02-21 a zero Content-Length is signed as empty, whether or not the header is sent.
            builder.Append(name == "Content-Length" && value == "0" ? "" : value).Append('\n');
        }
        foreach (var header in request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(",", h.Value).Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            builder.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }
        var uri = request.RequestUri!;
        builder.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var group in QueryParameters(uri).GroupBy(p => p.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var values = group.Select(p => p.Value).Order(StringComparer.Ordinal);
            builder.Append('\n').Append(group.Key).Append(':').Append(string.Join(",", values));
        }
        return builder.ToString();
    }

    /// <summary>A header exactly as HttpClient will write it, from the request or its content; "" when absent.</summary>
    private static string Header(HttpRequestMessage request, string name)
    {
        if (request.Headers.NonValidated.TryGetValues(name, out var values)
            || (request.Content is not null && request.Content.Headers.NonValidated.TryGetValues(name, out values)))
        {
            return values.ToString();
        }
        if (name == "Content-Length" && request.Content?.Headers.ContentLength is { } length)
        {
            return length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return "";
    }

    /// <summary>Query parameters with lowercase names and URL-decoded values.</summary>
    private static IEnumerable<(string Name, string Value)> QueryParameters(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        if (query.Length == 0)
        {
            yield break;
        }
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            yield return (Uri.UnescapeDataString(name).ToLowerInvariant(), Uri.UnescapeDataString(value));
        }
    }
}
