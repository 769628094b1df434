using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Platform;

/// <summary>How storage calls are retried and how long one may take (<c>Storage:Retry</c>).</summary>
public sealed class StorageRetryOptions
{
    /// <summary>Retries after the first try of a call: of timeouts, refused connections, 408, 429 and 5xx answers.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first back-off; each retry doubles it, with jitter, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one try may wait for storage's answer. Far above a healthy answer (milliseconds for a point read or
    /// a batch, well under a second for a page of 1,000 rows), so only storage that does not answer meets it.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long one storage call may take in all, tries and back-off included. A request that needs storage while
    /// it does not answer gets its 503 within about this time, instead of hanging for the SDK's default of minutes.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(4);
}

/// <summary>
/// The SDK's retry policy (exponential back-off with jitter, its own classification of what is worth a retry) held
/// to a deadline per call: each try gets at most the time left, and no retry starts once that is nearly spent.
/// A retry can meet its own earlier write whose answer was lost; the stores recognise that (see the README).
/// </summary>
public sealed class StorageRetryPolicy(StorageRetryOptions options)
    : RetryPolicy(options.MaxRetries, DelayStrategy.CreateExponentialDelayStrategy(options.Delay, options.MaxDelay))
{
    // Less than this left is not worth a try: it could only time out.
    private static readonly TimeSpan MinimumTry = TimeSpan.FromMilliseconds(100);

    protected override void OnSendingRequest(HttpMessage message)
    {
        var left = Left(message);
        message.NetworkTimeout = left < options.AttemptTimeout ? (left > MinimumTry ? left : MinimumTry) : options.AttemptTimeout;
    }

    protected override ValueTask OnSendingRequestAsync(HttpMessage message)
    {
        OnSendingRequest(message);
        return default;
    }

    protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
        TimeForAnotherTry(message) && base.ShouldRetry(message, exception);

    protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        TimeForAnotherTry(message) && await base.ShouldRetryAsync(message, exception);

    // The SDK's exponential back-off before retry n+1 is at most Delay * 2^n, jittered by up to 20%, and MaxDelay.
    private bool TimeForAnotherTry(HttpMessage message)
    {
        var backOff = options.Delay * Math.Pow(2, Math.Min(message.ProcessingContext.RetryNumber, 16)) * 1.2;
        return Left(message) > (backOff < options.MaxDelay ? backOff : options.MaxDelay) + MinimumTry;
    }

    // Real time, as the pipeline stamps StartTime with it: a test's moved clock must not shorten or stretch a call.
    private TimeSpan Left(HttpMessage message) =>
        options.OperationTimeout - (DateTimeOffset.UtcNow - message.ProcessingContext.StartTime);
}
