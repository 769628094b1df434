using System.Security.Cryptography;
using System.Text;

namespace Gateway.Identity;

/// <summary>Random credentials the gateway issues, and the fingerprints it stores instead of them.</summary>
public static class Secrets
{
    public static string Hex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    public static string Base64Url(int bytes) => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>SHA-256, hex: enough for high-entropy secrets (tokens, keys), which need no salt or stretching.</summary>
    public static string Fingerprint(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
