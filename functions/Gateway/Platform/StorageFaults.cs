using System.Globalization;
using Azure;

namespace Gateway.Platform;

/// <summary>
/// Which failures mean "storage did not answer" (and so a 503 with Retry-After, not a 500): no response at all, a
/// per-try timeout, or a status the service uses when it is busy or failing (408, 429, 5xx), after the SDK's retries
/// gave up (<see cref="StorageRetryPolicy"/>). Anything else (a 400 for a malformed request, a 403) is a bug or a
/// deployment fault and stays a 500.
/// </summary>
public static class StorageFaults
{
    /// <summary>How long a client is asked to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static bool IsUnavailable(Exception error) => error switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        // The SDK reports several failed tries together, and a try that timed out as a cancellation it raised itself.
        AggregateException tries => tries.InnerExceptions.Count > 0 && tries.InnerExceptions.All(IsUnavailable),
        OperationCanceledException cancelled => cancelled.Source == "Azure.Core",
        _ => false,
    };

    /// <summary>A short reason for logs and the health check: the status and the service's error code, never an account.</summary>
    public static string Describe(Exception error) => error switch
    {
        RequestFailedException { Status: 0 } => "unreachable",
        RequestFailedException failed => failed.ErrorCode ?? ErrorCodeHeader(failed) ?? failed.Status.ToString(CultureInfo.InvariantCulture),
        AggregateException { InnerExceptions.Count: > 0 } tries => Describe(tries.InnerExceptions[^1]),
        OperationCanceledException => "timed out",
        _ => error.GetType().Name,
    };

    // The SDK parses ErrorCode only from answers its transport returned; one made in its pipeline (the simulated
    // storage limits, a test's injected fault) carries the service's header all the same.
    private static string? ErrorCodeHeader(RequestFailedException failed) =>
        failed.GetRawResponse()?.Headers.TryGetValue("x-ms-error-code", out var code) == true ? code : null;
}
