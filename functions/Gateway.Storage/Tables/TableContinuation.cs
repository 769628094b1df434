using System.Buffers.Text;
using System.Text;

namespace Gateway.Storage;

/// <summary>The service's continuation keys, and an opaque URL-safe token form to hand to API clients.</summary>
public sealed record TableContinuation(string NextPartitionKey, string? NextRowKey)
{
    // Service continuation keys are short; anything far longer is not a token this code issued.
    private const int MaxTokenLength = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>base64url(NextPartitionKey) + "." + base64url(NextRowKey); no "." when there is no row key.</summary>
    public string ToToken()
    {
        var partition = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(NextPartitionKey));
        return NextRowKey is null ? partition : partition + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(NextRowKey));
    }

    /// <summary>The continuation in a token from ToToken, or null for anything else (never throws on client input).</summary>
    public static TableContinuation? FromToken(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }
        var parts = token.Split('.');
        if (parts.Length > 2 || Decode(parts[0]) is not { Length: > 0 } partition)
        {
            return null;
        }
        if (parts.Length == 1)
        {
            return new TableContinuation(partition, null);
        }
        return Decode(parts[1]) is { } row ? new TableContinuation(partition, row) : null;
    }

    private static string? Decode(string part)
    {
        if (!Base64Url.IsValid(part))
        {
            return null;
        }
        try
        {
            var text = StrictUtf8.GetString(Base64Url.DecodeFromChars(part));
            return text.Any(char.IsControl) ? null : text;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return null;
        }
    }
}
