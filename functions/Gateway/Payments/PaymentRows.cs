using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Payments;

/// <summary>
/// Keys of the Payments table. A transaction and everything that commits with it (its index rows by gateway
/// reference, merchant reference and payment key, its outbox events, booked refunds, and the idempotency record of
/// the request that changed it) share a partition, so they are written in one entity-group transaction. Which
/// partition is in the transaction id: its last two digits, the shard. Shard 0 is the organisation's home
/// partition, <c>org-{id}</c>, which also holds everything else of the organisation (payment keys, cards,
/// schedules, codes, ...); shard n is <c>org-{id}-nn</c>. Card payments made server to server spread over the
/// organisation's <see cref="Identity.PaymentPartitions"/>; every other transaction is made in the home shard,
/// with the rows it commits with.
/// </summary>
public static class PaymentRows
{
    public static string Partition(long organisationId) => $"org-{organisationId:D10}";

    /// <summary>The organisation of a home or shard partition (<c>org-{id:D10}</c>, optionally <c>-nn</c>).</summary>
    public static long OrganisationOf(string partition) =>
        long.Parse(partition.AsSpan("org-".Length, 10), CultureInfo.InvariantCulture);

    public static int Shard(long transactionId) => (int)(transactionId % Identity.PaymentPartitions.Max);

    /// <summary>A transaction id: a number of the transaction sequence, then two digits naming its shard.</summary>
    public static long NewTransactionId(long sequence, int shard) => sequence * Identity.PaymentPartitions.Max + shard;

    public static string ShardPartition(long organisationId, int shard) =>
        shard == 0 ? Partition(organisationId) : $"{Partition(organisationId)}-{shard:D2}";

    /// <summary>The partition of a transaction and of every row that commits with it.</summary>
    public static string TransactionPartition(long organisationId, long transactionId) =>
        ShardPartition(organisationId, Shard(transactionId));

    public const string TransactionPrefix = "txn-";
    public static string TransactionRow(long id) => $"{TransactionPrefix}{id:D12}";
    public static long TransactionId(string row) => long.Parse(row.AsSpan(TransactionPrefix.Length), CultureInfo.InvariantCulture);

    public static string GatewayReferenceRow(string gatewayReference) => "gref-" + gatewayReference;

    /// <summary>
    /// Merchant references are free text, so they are hex-encoded into the key (no character can break it), and
    /// the id is inverted so that the newest transaction with a reference sorts first.
    /// </summary>
    public static string MerchantReferencePrefix(string reference) => $"mref-{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(reference))}-";
    public static string MerchantReferenceRow(string reference, long id) => $"{MerchantReferencePrefix(reference)}{999_999_999_999 - id:D12}";

    public static string PaymentKeyRow(string key) => "pkey-" + key;

    public const string EventPrefix = "evt-";
    public static string EventRow(long transactionId, int sequence) => $"{EventPrefix}{transactionId:D12}-{sequence:D6}";

    /// <summary>A booked refund: its id is the request's reserved id (with an Idempotency-Key) or random.</summary>
    public static string RefundRow(long transactionId, string refundId) => $"rfd-{transactionId:D12}-{refundId}";

    /// <summary>Idempotency keys are the client's text: stored by fingerprint, scoped to the organisation by the partition.</summary>
    public const string IdempotencyPrefix = "idem-";
    public static string IdempotencyRow(string key) => IdempotencyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Lookups table: unguessable secrets (payment keys, 3-D Secure sessions) to the organisation holding them.</summary>
    public static string KeyLookup(string key) => "key-" + key;
    public static string SessionLookup(string session) => "3ds-" + session;
}
