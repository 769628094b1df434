namespace Gateway.Storage;

/// <summary>How the storage clients retry transient failures (408, 5xx, network errors, attempt timeouts).</summary>
public sealed class StorageRetryOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Back-off before retry n is uniformly random in [0, min(MaxDelay, BaseDelay * 2^n)] (full jitter).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit on each attempt, including reading the response body. Timeout.InfiniteTimeSpan disables it.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
