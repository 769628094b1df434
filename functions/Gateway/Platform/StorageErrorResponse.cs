using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Azure;
using Azure.Core;

namespace Gateway.Platform;

/// <summary>
/// A storage error answer made inside the SDK's pipeline instead of by the service, shaped as the service sends it:
/// the status, <c>x-ms-error-code</c> and the JSON error body, so the SDK's retries, its exception (status, ErrorCode,
/// message) and <see cref="StorageFaults"/> treat it exactly as the real one.
/// </summary>
public sealed class StorageErrorResponse(int status, string code, string message, string clientRequestId) : Response
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["x-ms-error-code"] = code,
        ["Content-Type"] = "application/json",
    };

    public override int Status => status;

    // The pipeline classifies responses as the transport returns them; one made here skips that, so it says so itself.
    public override bool IsError => true;
    public override string ReasonPhrase => code;
    public override Stream? ContentStream { get; set; } = new MemoryStream(Body(code, message));
    public override string ClientRequestId { get; set; } = clientRequestId;

    public override void Dispose() => ContentStream?.Dispose();

    protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

    protected override IEnumerable<HttpHeader> EnumerateHeaders() =>
        _headers.Select(h => new HttpHeader(h.Key, h.Value));

    protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) =>
        _headers.TryGetValue(name, out value);

    protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
    {
        values = _headers.TryGetValue(name, out var value) ? [value] : null;
        return values is not null;
    }

    /// <summary>The service's error body: <c>{"odata.error":{"code":..,"message":{"lang":"en-US","value":..}}}</c>.</summary>
    private static byte[] Body(string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("odata.error");
            json.WriteString("code", code);
            json.WriteStartObject("message");
            json.WriteString("lang", "en-US");
            json.WriteString("value", message);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
