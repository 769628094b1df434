using System.Text;

namespace Gateway.Storage;

public enum QueueMessageEncoding
{
    /// <summary>base64 of the UTF-8 text: what the Azure Functions queue trigger expects by default.</summary>
    Base64,

    /// <summary>The text as is. The Functions host moves such messages straight to the poison queue.</summary>
    None,
}

public sealed record QueueSendReceipt(
    string MessageId, string PopReceipt, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

public sealed record QueueUpdateReceipt(string PopReceipt, DateTimeOffset NextVisibleTime);

/// <summary>
/// A received or peeked message. RawText is the MessageText as stored; PopReceipt and NextVisibleTime are null
/// for peeked messages.
/// </summary>
public sealed record QueueMessage(
    string MessageId,
    string? PopReceipt,
    long DequeueCount,
    DateTimeOffset InsertionTime,
    DateTimeOffset ExpirationTime,
    DateTimeOffset? NextVisibleTime,
    string RawText)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// RawText decoded as base64 of UTF-8, or null when it isn't (the messages the Functions host can't decode).
    /// Computed from RawText so that a 'with' copy can't carry a stale value.
    /// </summary>
    public string? Text => Decode(RawText);

    internal static string? Decode(string raw)
    {
        var bytes = new byte[raw.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(raw, bytes, out var length))
        {
            return null;
        }
        try
        {
            return StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
