using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>
/// The card vault's encryption keys, bound from <c>CardVault</c>: <c>Keys:{id}</c> = base64 of 32 bytes, and
/// <c>ActiveKey</c>, the id new cards are encrypted under. Every stored card names the key it was encrypted with, so
/// a key is rotated by adding a new one, making it active, and keeping the old one for as long as cards use it.
/// With no keys configured, one key (<see cref="DerivedKeyId"/>) is derived from the storage account key: fine for
/// local runs and tests; a deployment configures its own (from Key Vault) so that storage access alone reveals no card.
/// </summary>
public sealed partial class VaultOptions
{
    public const string Section = "CardVault";
    public const string DerivedKeyId = "derived1";

    public Dictionary<string, string> Keys { get; set; } = [];

    public string? ActiveKey { get; set; }

    public static bool IsValid(VaultOptions o) =>
        o.Keys.Count == 0
            ? o.ActiveKey is null
            : o.ActiveKey is not null && o.Keys.ContainsKey(o.ActiveKey)
              && o.Keys.All(k => KeyId().IsMatch(k.Key) && Decodes(k.Value));

    private static bool Decodes(string base64)
    {
        var bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var length) && length == 32;
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,16}$")]
    private static partial Regex KeyId();
}

/// <summary>
/// AES-256-GCM encryption of card numbers. The row's own identity (organisation and card id) is the associated data,
/// so a ciphertext copied onto another card's row, or another organisation's, does not decrypt.
/// </summary>
public sealed class CardCipher
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> _keys;

    public CardCipher(IOptions<VaultOptions> options, StorageConnection storage)
    {
        var o = options.Value;
        _keys = o.Keys.Count == 0
            ? new()
            {
                [VaultOptions.DerivedKeyId] = storage.DeriveLocalKey("gateway-card-vault-v1")
                    ?? throw new InvalidOperationException("CardVault:Keys must be set: the storage connection has no account key to derive one from."),
            }
            : o.Keys.ToDictionary(k => k.Key, k => Convert.FromBase64String(k.Value), StringComparer.Ordinal);
        ActiveKeyId = o.ActiveKey ?? VaultOptions.DerivedKeyId;
    }

    public string ActiveKeyId { get; }

    /// <summary>The card number under the active key: (key id, base64 of nonce | ciphertext | tag).</summary>
    public (string KeyId, string Sealed) Seal(string number, string context)
    {
        var plain = System.Text.Encoding.ASCII.GetBytes(number);
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[ActiveKeyId], TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), System.Text.Encoding.UTF8.GetBytes(context));
        return (ActiveKeyId, Convert.ToBase64String(output));
    }

    /// <summary>The card number; throws if the key is gone or the data was altered or moved.</summary>
    public string Open(string keyId, string sealedNumber, string context)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new InvalidOperationException($"Card vault key '{keyId}' is not configured; it is still needed by stored cards.");
        }
        var input = Convert.FromBase64String(sealedNumber);
        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, plain.Length), input.AsSpan(NonceSize + plain.Length), plain,
            System.Text.Encoding.UTF8.GetBytes(context));
        return System.Text.Encoding.ASCII.GetString(plain);
    }
}
