using Azure;
using Azure.Data.Tables;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>
/// A request's hold on its Idempotency-Key (<see cref="State"/> <c>running</c>, with its <see cref="Holder"/> and
/// lease), then the response kept for retries (<c>done</c>, with <see cref="Status"/> and <see cref="Body"/>).
/// <see cref="ReservedId"/> is the transaction or refund id the request uses, kept across takeovers.
/// </summary>
public sealed record IdempotencyRecord(
    long OrganisationId, string Key, string State, string? Holder, string Fingerprint, DateTimeOffset? LeaseUntil,
    DateTimeOffset Expires, long? ReservedId, int? Status = null, string? Body = null, ETag ETag = default)
{
    /// <summary>The shard of the partition the record is in: that of the change it commits with.</summary>
    public int Shard { get; init; }
}

/// <summary>Idempotency records, in their organisation's partition so each commits with the change it answers for.</summary>
public sealed partial class PaymentStore
{
    public async Task<IdempotencyRecord?> GetIdempotencyAsync(long organisationId, int shard, string key, CancellationToken cancellationToken)
    {
        var row = await tables.Payments.FindAsync(PaymentRows.ShardPartition(organisationId, shard), PaymentRows.IdempotencyRow(key),
            cancellationToken: cancellationToken);
        return row is null ? null : new IdempotencyRecord(organisationId, key, row.GetString("State"), row.GetString("Holder"),
            row.GetString("Fingerprint"), row.GetDateTimeOffset("LeaseUntil"), row.GetDateTimeOffset("Expires") ?? DateTimeOffset.MinValue,
            row.GetInt64("ReservedId"), row.GetInt32("Status"), row.GetString("Body"), row.ETag) { Shard = shard };
    }

    /// <summary>
    /// Writes a hold: an insert when there was no record (<paramref name="replacing"/> null), else a replace of the
    /// record read. Its new ETag, or null when another request got there first.
    /// </summary>
    public Task<ETag?> TryHoldAsync(IdempotencyRecord hold, IdempotencyRecord? replacing, CancellationToken cancellationToken) =>
        replacing is null
            ? tables.Payments.TryAddAsync(IdempotencyEntity(hold), cancellationToken)
            : tables.Payments.TryReplaceAsync(IdempotencyEntity(hold), replacing.ETag, cancellationToken);

    /// <summary>The record's next state, checked against the hold's ETag, to commit with the change it answers for.</summary>
    public static TableTransactionAction IdempotencyChange(IdempotencyRecord next) => TableActions.Replace(IdempotencyEntity(next), next.ETag);

    /// <summary>
    /// Deletes rows past their <c>Expires</c> in every organisation's partition whose keys start with
    /// <paramref name="prefix"/>: idempotency records here, remembered cards for the card vault. ETag-checked, so a
    /// row renewed since the query (a key taken over, a newer capture) stays.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(string prefix, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var filter = TableFilters.And(TableFilters.RowPrefix(prefix), TableClient.CreateQueryFilter($"Expires lt {now}"));
        var deleted = 0;
        await foreach (var row in tables.Payments.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (await tables.Payments.TryDeleteAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken)) deleted++;
        }
        return deleted;
    }

    public Task<int> DeleteExpiredIdempotencyAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        DeleteExpiredAsync(PaymentRows.IdempotencyPrefix, now, cancellationToken);

    private static TableEntity IdempotencyEntity(IdempotencyRecord r) =>
        new(PaymentRows.ShardPartition(r.OrganisationId, r.Shard), PaymentRows.IdempotencyRow(r.Key))
    {
        ["State"] = r.State,
        ["Holder"] = r.Holder,
        ["Fingerprint"] = r.Fingerprint,
        ["LeaseUntil"] = r.LeaseUntil,
        ["Expires"] = r.Expires,
        ["ReservedId"] = r.ReservedId,
        ["Status"] = r.Status,
        ["Body"] = r.Body,
    };
}
