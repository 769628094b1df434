using System.Globalization;
using System.Net;

namespace Gateway.Storage.Internal;

/// <summary>
/// Sends storage requests: stamps x-ms-date/x-ms-version, signs, applies the per-attempt timeout and retries
/// transient failures with exponential back-off and full jitter. Both the table and queue clients use it.
/// </summary>
internal sealed class StorageTransport
{
    private readonly HttpClient _http;
    private readonly SharedKeySigner _signer;
    private readonly string _version;
    private readonly TimeProvider _time;
    private readonly int _maxRetries;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _attemptTimeout;

    public StorageTransport(
        HttpClient http, StorageAccount account, SigningFormat format, string version, StorageRetryOptions? retry, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(account);
        retry ??= new StorageRetryOptions();
        if (retry.MaxRetries < 0 || retry.BaseDelay < TimeSpan.Zero || retry.MaxDelay < TimeSpan.Zero
            || (retry.AttemptTimeout <= TimeSpan.Zero && retry.AttemptTimeout != Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentException("Retry options need MaxRetries >= 0, non-negative delays and a positive (or infinite) AttemptTimeout.", nameof(retry));
        }

        _http = http;
        _signer = new SharedKeySigner(account.AccountName, account.AccountKey, format);
        _version = version;
        _time = time ?? TimeProvider.System;
        // Copied so that later changes to the shared options object can't affect requests in flight.
        _maxRetries = retry.MaxRetries;
        _baseDelay = retry.BaseDelay;
        _maxDelay = retry.MaxDelay;
        _attemptTimeout = retry.AttemptTimeout;
    }

    /// <summary>
    /// Sends the request built by <paramref name="build"/>, a fresh one per attempt, and returns the final response
    /// with its body buffered. A retryable status that survives every retry is returned for the caller to report;
    /// a network failure or timeout that does becomes a StorageException with Status 0.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var isLast = attempt >= _maxRetries;
            using var request = build();
            request.Headers.TryAddWithoutValidation("x-ms-date", _time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("x-ms-version", _version);
            _signer.Sign(request);

            HttpResponseMessage response;
            using (var timeout = new CancellationTokenSource(_attemptTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
            {
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
                }
                catch (Exception exception) when (IsTransient(exception, ct))
                {
                    if (isLast)
                    {
                        var reason = timeout.IsCancellationRequested ? $"timed out after {_attemptTimeout}" : exception.Message;
                        throw new StorageException(
                            0, null, $"{request.Method} {request.RequestUri!.AbsolutePath} failed after {attempt + 1} attempts: {reason}", exception);
                    }
                    await BackOffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }
            }

            if (isLast || !IsRetryable(response.StatusCode))
            {
                return response;
            }
            response.Dispose();
            await BackOffAsync(attempt, ct).ConfigureAwait(false);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
        or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    // A cancellation the caller didn't ask for is our attempt timeout or HttpClient.Timeout: worth another attempt.
    private static bool IsTransient(Exception exception, CancellationToken ct) => exception switch
    {
        HttpRequestException => true,
        OperationCanceledException => !ct.IsCancellationRequested,
        _ => false,
    };

    private Task BackOffAsync(int attempt, CancellationToken ct)
    {
        var ceiling = Math.Min(_maxDelay.Ticks, _baseDelay.Ticks * Math.Pow(2, Math.Min(attempt, 30)));
        var delay = TimeSpan.FromTicks((long)(ceiling * Random.Shared.NextDouble()));
        return delay > TimeSpan.Zero ? Task.Delay(delay, _time, ct) : Task.CompletedTask;
    }
}
