using System.Security.Cryptography;
using System.Text;

namespace Gateway.Webhooks;

/// <summary>
/// Document 003's <c>x-signature</c>: uppercase hex SHA-1 of the webhook's JSON (as <c>JSON.stringify</c> writes it:
/// compact, fields in order) followed by the organisation's signature password. The body posted is exactly that JSON,
/// so a receiver can hash the raw body instead of re-serialising it. SHA-1 is the document's choice, kept for
/// receivers built on it; the password, not the hash, is what makes it unforgeable.
/// </summary>
public static class CashierSignature
{
    public static string Of(string json, string signaturePassword) =>
        Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(json + signaturePassword)));
}
