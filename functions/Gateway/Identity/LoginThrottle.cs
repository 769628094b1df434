using System.Collections.Concurrent;

namespace Gateway.Identity;

/// <summary>
/// Limits online password guessing: after <see cref="MaxFailures"/> failed sign-ins for one username within
/// <see cref="Window"/>, further attempts for it are refused (429, with Retry-After) without checking the password,
/// until the window has passed. In memory, per instance: it bounds the guessing and the hashing work an instance
/// will do for one username; it is not a platform-wide lockout (that belongs at the edge, with per-IP limits).
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long until this username may be tried again; null when it may be tried now.</summary>
    public TimeSpan? RetryAfter(string username)
    {
        if (!_failures.TryGetValue(Key(username), out var failures) || failures.Count < MaxFailures) return null;
        var remaining = failures.Since + Window - time.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    public void Failed(string username)
    {
        var now = time.GetUtcNow();
        if (_failures.Count >= MaxTracked) Forget(now);
        _failures.AddOrUpdate(Key(username), new Failures(1, now),
            (_, f) => now - f.Since >= Window ? new Failures(1, now) : f with { Count = f.Count + 1 });
    }

    public void Succeeded(string username) => _failures.TryRemove(Key(username), out _);

    /// <summary>Drops windows that have passed, so guesses at many usernames cannot grow the map without bound.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, failures) in _failures)
        {
            if (now - failures.Since >= Window) _failures.TryRemove(key, out _);
        }
        if (_failures.Count >= MaxTracked) _failures.Clear();
    }

    private static string Key(string username) => username.ToLowerInvariant();

    private sealed record Failures(int Count, DateTimeOffset Since);
}
