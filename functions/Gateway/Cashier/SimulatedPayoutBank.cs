using System.Security.Cryptography;
using System.Text;

namespace Gateway.Cashier;

/// <summary>What a payout provider said: paid, or refused with the reason the merchant sees.</summary>
public sealed record PayoutResult(bool Paid, string? Reason, string Reference);

/// <summary>
/// The payout provider of test mode: the destination account decides the outcome, as test cards do for deposits.
/// The reference derives from the idempotency key, so a payout sent again after a crash is answered, not repeated.
/// </summary>
public sealed class SimulatedPayoutBank
{
    /// <summary>The README's test accounts; any other account is paid.</summary>
    public static readonly IReadOnlyDictionary<string, string> Refusals =
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["4000000051"] = "Insufficient funds",
            ["4000000014"] = "Account closed",
            ["4000000022"] = "Invalid account",
        };

    public Task<PayoutResult> PayAsync(string account, long amountMinor, string currency, string idempotencyKey,
        CancellationToken cancellationToken)
    {
        var reference = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)).AsSpan(0, 16)).ToString();
        return Task.FromResult(Refusals.TryGetValue(account, out var reason)
            ? new PayoutResult(false, reason, reference)
            : new PayoutResult(true, null, reference));
    }
}
