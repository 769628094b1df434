using System.Collections.Concurrent;
using Gateway.Api;

namespace Gateway.Codes;

/// <summary>
/// Keeps a client from scanning the ten-digit space through the public lookups (paying a code): each client may miss
/// (ask for a code that does not exist) <see cref="MaxMisses"/> times per <see cref="Window"/>; then every lookup is
/// 429 until the window ends. Hits cost nothing, so a payer is never slowed. Per instance, in memory: with several
/// instances the budget multiplies by their number, which still leaves 10^10 codes out of reach; a shared limit
/// belongs at the edge (Front Door's rate limiting), as for sign-ins.
/// </summary>
public sealed class CodeLookupLimiter(TimeProvider time)
{
    public const int MaxMisses = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Budget> _clients = new();

    private sealed record Budget(DateTimeOffset Start, int Misses);

    /// <summary>429 with Retry-After when <paramref name="http"/>'s client has spent its misses in this window.</summary>
    public void RefuseIfSpent(HttpContext http)
    {
        var now = time.GetUtcNow();
        if (_clients.TryGetValue(Client(http), out var budget) && budget.Start + Window > now && budget.Misses >= MaxMisses)
        {
            var seconds = ((int)Math.Ceiling((budget.Start + Window - now).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            // As the response starts: the error object is written on a cleared response.
            http.Response.OnStarting(() =>
            {
                http.Response.Headers.RetryAfter = seconds;
                return Task.CompletedTask;
            });
            throw new ApiException(StatusCodes.Status429TooManyRequests, "Too many unknown codes from this client; try again later.");
        }
    }

    public void CountMiss(HttpContext http)
    {
        var now = time.GetUtcNow();
        _clients.AddOrUpdate(Client(http), _ => new Budget(now, 1),
            (_, b) => b.Start + Window > now ? b with { Misses = b.Misses + 1 } : new Budget(now, 1));
        // Old windows go when the map grows; a scan from many addresses cannot grow it without bound.
        if (_clients.Count > 10_000)
        {
            foreach (var (client, b) in _clients) if (b.Start + Window <= now) _clients.TryRemove(client, out _);
        }
    }

    /// <summary>
    /// The client's address: behind the Functions front end the last <c>X-Forwarded-For</c> entry, which the platform
    /// appends (earlier ones are the client's own word); else the connection's.
    /// </summary>
    private static string Client(HttpContext http) =>
        http.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .LastOrDefault() ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
