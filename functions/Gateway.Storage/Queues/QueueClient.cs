using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>Message operations on one queue.</summary>
public sealed class QueueClient
{
    private const int MaxMessageBytes = 64 * 1024;
    private const int MaxBatch = 32;
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    private readonly string _queueUrl;
    private readonly StorageTransport _transport;

    internal QueueClient(string name, string endpoint, StorageTransport transport)
    {
        Name = name;
        _queueUrl = endpoint + name;
        _transport = transport;
    }

    public string Name { get; }

    /// <summary>Creates the queue; an existing queue (201 vs 204, or 409 when its metadata differs) is success.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Put, _queueUrl, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var error = await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        if (error is not { Status: 409, ErrorCode: "QueueAlreadyExists" })
        {
            throw error;
        }
    }

    /// <summary>
    /// Puts a message, base64(UTF-8) by default because the Functions queue trigger expects that. timeToLive null
    /// means the service default (7 days); Timeout.InfiniteTimeSpan means it never expires.
    /// </summary>
    public async Task<QueueSendReceipt> SendAsync(
        string text,
        TimeSpan? visibilityDelay = null,
        TimeSpan? timeToLive = null,
        QueueMessageEncoding encoding = QueueMessageEncoding.Base64,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stored = encoding switch
        {
            QueueMessageEncoding.Base64 => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)),
            QueueMessageEncoding.None => text,
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };
        if (Encoding.UTF8.GetByteCount(stored) > MaxMessageBytes)
        {
            throw new ArgumentException($"The encoded message is larger than {MaxMessageBytes} bytes.", nameof(text));
        }
        var body = QueueXml.MessageBody(stored);

        var query = new List<string>();
        if (visibilityDelay is { } delay)
        {
            query.Add("visibilitytimeout=" + Seconds(delay, TimeSpan.Zero, nameof(visibilityDelay)));
        }
        if (timeToLive is { } ttl)
        {
            query.Add("messagettl=" + (ttl == Timeout.InfiniteTimeSpan ? "-1" : Seconds(ttl, TimeSpan.FromSeconds(1), nameof(timeToLive), TimeSpan.MaxValue)));
        }
        var url = _queueUrl + "/messages" + (query.Count == 0 ? "" : "?" + string.Join('&', query));

        using var response = await _transport.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
            return request;
        }, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return QueueXml.ParseSendReceipt(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
    }

    /// <summary>Up to maxMessages (1-32) messages, hidden from other receivers for visibilityTimeout (1 s to 7 days).</summary>
    public Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken ct = default) =>
        GetMessagesAsync(
            $"numofmessages={Count(maxMessages)}&visibilitytimeout={Seconds(visibilityTimeout, TimeSpan.FromSeconds(1), nameof(visibilityTimeout))}",
            ct);

    /// <summary>Up to maxMessages (1-32) visible messages, without changing their visibility or dequeue count.</summary>
    public Task<IReadOnlyList<QueueMessage>> PeekAsync(int maxMessages, CancellationToken ct = default) =>
        GetMessagesAsync($"peekonly=true&numofmessages={Count(maxMessages)}", ct);

    /// <summary>True when deleted; false when the receipt is stale or the message is already gone (404, or 400 PopReceiptMismatch).</summary>
    public async Task<bool> DeleteAsync(string messageId, string popReceipt, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, MessageUrl(messageId, popReceipt), ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }
        await ThrowUnlessStaleAsync(response, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>Hides the message for visibilityTimeout (0 to 7 days); null when the receipt is stale or the message is gone.</summary>
    public async Task<QueueUpdateReceipt?> UpdateVisibilityAsync(
        string messageId, string popReceipt, TimeSpan visibilityTimeout, CancellationToken ct = default)
    {
        var url = MessageUrl(messageId, popReceipt) + "&visibilitytimeout=" + Seconds(visibilityTimeout, TimeSpan.Zero, nameof(visibilityTimeout));
        using var response = await SendAsync(HttpMethod.Put, url, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await ThrowUnlessStaleAsync(response, ct).ConfigureAwait(false);
            return null;
        }
        var receipt = ResponseHeaders.Get(response, "x-ms-popreceipt");
        var next = ResponseHeaders.Get(response, "x-ms-time-next-visible");
        return receipt is null || next is null
            ? throw StorageErrors.Create((int)response.StatusCode, null, "The update response lacks the new pop receipt.", response.RequestMessage)
            : new QueueUpdateReceipt(receipt, QueueXml.Time(next));
    }

    /// <summary>The x-ms-approximate-messages-count of the queue's metadata.</summary>
    public async Task<int> GetApproximateCountAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, _queueUrl + "?comp=metadata", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return int.TryParse(ResponseHeaders.Get(response, "x-ms-approximate-messages-count"), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw StorageErrors.Create((int)response.StatusCode, null, "The metadata response has no message count.", response.RequestMessage);
    }

    public async Task ClearAsync(CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, _queueUrl + "/messages", ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<QueueMessage>> GetMessagesAsync(string query, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, _queueUrl + "/messages?" + query, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return QueueXml.ParseMessages(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, CancellationToken ct) =>
        _transport.SendAsync(() => new HttpRequestMessage(method, new Uri(url)), ct);

    private string MessageUrl(string messageId, string popReceipt)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        // Pop receipts contain '+', '/' and '=': escaped here, signed decoded.
        return $"{_queueUrl}/messages/{Uri.EscapeDataString(messageId)}?popreceipt={Uri.EscapeDataString(popReceipt)}";
    }

    /// <summary>
    /// Returns when the message is gone or the receipt is stale; throws for every other failure, including a missing
    /// queue. A receipt superseded by a later dequeue or update is 400 PopReceiptMismatch (Azurite, and the WebJobs
    /// host expects it from Azure too) rather than 404 MessageNotFound.
    /// </summary>
    private static async Task ThrowUnlessStaleAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var error = await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        var stale = error is { Status: 404 } && error.ErrorCode != "QueueNotFound"
            || error is { Status: 400, ErrorCode: "PopReceiptMismatch" };
        if (!stale)
        {
            throw error;
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static string Count(int maxMessages) => maxMessages is >= 1 and <= MaxBatch
        ? maxMessages.ToString(CultureInfo.InvariantCulture)
        : throw new ArgumentOutOfRangeException(nameof(maxMessages), maxMessages, $"Between 1 and {MaxBatch} messages.");

    private static string Seconds(TimeSpan value, TimeSpan min, string name, TimeSpan? max = null)
    {
        var limit = max ?? MaxVisibility;
        if (value < min || value > limit)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be between {min} and {limit}.");
        }
        // Whole seconds, rounded up so that a requested delay is never shortened.
        return ((long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }
}
