using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Identity;

/// <summary>
/// Passwords are stored as PBKDF2-HMAC-SHA256 with a random 16-byte salt at OWASP's recommended 600,000 iterations,
/// in the self-describing form <c>pbkdf2-sha256$600000$salt$hash</c> so the count can be raised later.
///
/// Basic auth sends the password on every request, and 600,000 iterations cost ~120 ms of CPU. So a successful
/// verification is remembered, keyed by an HMAC (under a per-process random key) of the stored hash and the
/// password: the next request with exactly that password against exactly that stored hash is accepted without
/// re-deriving. A wrong password never hits the cache (its key differs), so guessing still pays the full cost;
/// a changed password changes the stored hash, so remembered entries stop matching at once. The trade-off: a dump of
/// the process's memory would let remembered passwords be tested at HMAC speed; such a dump also holds the
/// passwords of the requests in flight.
/// </summary>
public sealed class PasswordHasher(TimeProvider time)
{
    public const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const int MaxRemembered = 10_000;
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    // A hash of a random password, checked when the username is unknown so that response time does not reveal
    // which usernames exist.
    private static readonly Lazy<string> DummyHash = new(() => Derive(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new(StringComparer.Ordinal);
    private long _derivations;
    private int _remembered;

    /// <summary>How many times this instance has run PBKDF2 to check a password (what the cache saves).</summary>
    internal long Derivations => Interlocked.Read(ref _derivations);

    public string Hash(string password)
    {
        var stored = Derive(password);
        Remember(password, stored);
        return stored;
    }

    public bool Verify(string password, string? stored)
    {
        if (stored is not null && _verified.TryGetValue(CacheKey(password, stored), out var until) && until > time.GetUtcNow())
        {
            return true;
        }
        Interlocked.Increment(ref _derivations);
        if (stored is null)
        {
            Derive(password, DummyHash.Value);
            return false;
        }

        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256"
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(parts[2]),
            iterations, HashAlgorithmName.SHA256, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected)) return false;

        Remember(password, stored);
        return true;
    }

    private void Remember(string password, string stored)
    {
        var now = time.GetUtcNow();
        var key = CacheKey(password, stored);
        if (!_verified.TryAdd(key, now + RememberFor))
        {
            _verified[key] = now + RememberFor;
            return;
        }
        // Bounded: when full, drop what has expired, and if that is not enough start over; the cost is one slow
        // verification per active user. (Counted here because ConcurrentDictionary.Count takes every lock.)
        if (Interlocked.Increment(ref _remembered) < MaxRemembered) return;
        foreach (var (entry, until) in _verified)
        {
            if (until <= now) _verified.TryRemove(entry, out _);
        }
        if (_verified.Count >= MaxRemembered) _verified.Clear();
        Interlocked.Exchange(ref _remembered, _verified.Count);
    }

    private string CacheKey(string password, string stored) =>
        Convert.ToBase64String(HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(stored + "\0" + password)));

    private static string Derive(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Spends the same work as a real check, for unknown users.</summary>
    private static void Derive(string password, string stored)
    {
        var salt = Convert.FromBase64String(stored.Split('$')[2]);
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
    }
}
