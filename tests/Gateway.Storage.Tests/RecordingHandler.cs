using System.Net;

namespace Gateway.Storage.Tests;

/// <summary>
/// Sits in front of the real HttpClientHandler: records every attempt's headers and answers the first
/// <see cref="FailFirst"/> attempts itself with <see cref="FailWith"/> instead of forwarding them to Azurite.
/// </summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly Lock _lock = new();
    private readonly List<Attempt> _attempts = [];

    public RecordingHandler()
        : base(new HttpClientHandler())
    {
    }

    public int FailFirst { get; init; }

    public HttpStatusCode FailWith { get; init; } = HttpStatusCode.ServiceUnavailable;

    /// <summary>Runs when an attempt is failed, before the failure is returned.</summary>
    public Action? OnFault { get; init; }

    public IReadOnlyList<Attempt> Attempts
    {
        get
        {
            lock (_lock)
            {
                return [.. _attempts];
            }
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int number;
        lock (_lock)
        {
            _attempts.Add(new Attempt(
                request.Headers.GetValues("Authorization").Single(),
                request.Headers.GetValues("x-ms-date").Single()));
            number = _attempts.Count;
        }
        if (number <= FailFirst)
        {
            OnFault?.Invoke();
            return Task.FromResult(new HttpResponseMessage(FailWith) { RequestMessage = request, Content = new StringContent("") });
        }
        return base.SendAsync(request, cancellationToken);
    }

    public sealed record Attempt(string Authorization, string Date);
}
