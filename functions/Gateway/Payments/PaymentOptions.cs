using System.Security.Cryptography;
using System.Text;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>Payments settings, bound from the <c>Payments</c> section and validated at start-up.</summary>
public sealed class PaymentOptions
{
    public const string Section = "Payments";

    /// <summary>
    /// The gateway's public address (scheme, host, optional port; no path): payment key URLs, 3-D Secure redirects
    /// and the checkout script's origin are built from it.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:7071";

    /// <summary>How long a payment key can be paid with. A day covers a payer who comes back to an open tab.</summary>
    public TimeSpan PaymentKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a request's response is kept under its Idempotency-Key.</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromDays(31);

    /// <summary>
    /// How long a request holds its Idempotency-Key before a retry may take over (only after a crash: a running
    /// request answers duplicates with 409). Longer than a request can run, storage retries included.
    /// </summary>
    public TimeSpan IdempotencyLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Base64, at least 32 bytes: keys the fingerprints of idempotent requests (which would otherwise let a card's
    /// CVV be brute-forced from a plain hash) and the hosted pages' form tokens. When unset it is derived from the
    /// storage account key, which every instance of one deployment shares; set it to rotate the two independently.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>The queue outbox events are put on for delivery.</summary>
    public string EventQueue { get; set; } = "payment-events";

    public Uri BaseUri => new(PublicBaseUrl.TrimEnd('/') + "/");

    /// <summary>The hosted page that pays a key: the card page for card-only keys, else the EFT page (which offers cards too).</summary>
    public string PageUrl(PaymentKey key) =>
        $"{BaseUri.GetLeftPart(UriPartial.Authority)}/{(key.PaymentType == PaymentTypes.Card ? "card" : "eft")}?payment_key={key.Key}";

    public static bool IsValidBaseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;

    public static bool IsValidSecret(string? secret)
    {
        if (secret is null) return true;
        var bytes = new byte[secret.Length];
        return Convert.TryFromBase64String(secret, bytes, out var length) && length >= 32;
    }
}

/// <summary>The HMAC key behind request fingerprints and form tokens (see <see cref="PaymentOptions.SecretKey"/>).</summary>
public sealed class PaymentSecrets(IOptions<PaymentOptions> options, StorageConnection storage)
{
    private readonly byte[] _key = options.Value.SecretKey is { } configured
        ? Convert.FromBase64String(configured)
        : storage.DeriveLocalKey("gateway-payments-v1")
          ?? throw new InvalidOperationException("Payments:SecretKey must be set: the storage connection has no account key to derive it from.");

    public string Sign(string purpose, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose + "\n" + text)));

    public bool Verify(string purpose, string text, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(purpose, text)), Encoding.ASCII.GetBytes(signature));
}
