using System.Text.RegularExpressions;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>The Queue service of one storage account, over the REST API with SharedKey signing.</summary>
public sealed partial class QueueServiceClient
{
    internal const string Version = "2021-12-02";

    private readonly StorageTransport _transport;
    private readonly string _endpoint;

    public QueueServiceClient(HttpClient http, StorageAccount account, StorageRetryOptions? retry = null, TimeProvider? time = null)
    {
        _transport = new StorageTransport(http, account, SigningFormat.Queue, Version, retry, time);
        _endpoint = account.QueueEndpoint.AbsoluteUri;
    }

    /// <summary>
    /// A client for one queue: 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit,
    /// no "--".
    /// </summary>
    public QueueClient GetQueueClient(string queueName)
    {
        ArgumentNullException.ThrowIfNull(queueName);
        if (!QueueNamePattern().IsMatch(queueName) || queueName.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Queue name '{queueName}' must be 3-63 lowercase letters, digits or single dashes, starting and ending with a letter or digit.",
                nameof(queueName));
        }
        return new QueueClient(queueName, _endpoint, _transport);
    }

    /// <summary>The cheapest authenticated call (List Queues, maxresults=1); throws StorageException when it fails.</summary>
    public async Task CheckAsync(CancellationToken ct = default)
    {
        using var response = await _transport.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(_endpoint + "?comp=list&maxresults=1")), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueNamePattern();
}
