using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Payments;

/// <summary>Reads and writes of the Payments and Lookups tables. Every read is scoped to one organisation's partition.</summary>
public sealed class PaymentStore(GatewayTables tables)
{
    public async Task<PaymentTransaction?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), PaymentRows.TransactionRow(id), ct: cancellationToken);
        return e is null ? null : PaymentTransaction.FromEntity(organisationId, e);
    }

    public Task<PaymentTransaction?> FindByGatewayReferenceAsync(long organisationId, string gatewayReference, CancellationToken cancellationToken) =>
        FollowAsync(organisationId, PaymentRows.GatewayReferenceRow(gatewayReference), cancellationToken);

    /// <summary>The newest transaction with this merchant reference (references need not be unique).</summary>
    public async Task<PaymentTransaction?> FindByMerchantReferenceAsync(long organisationId, string reference, CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.RowKeyStartsWith(PaymentRows.MerchantReferencePrefix(reference)));
        var page = await tables.Payments.QueryPageAsync(new TableQuery(filter, ["TransactionId"], Top: 1), ct: cancellationToken);
        return page.Entities.FirstOrDefault()?.GetInt64("TransactionId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
    }

    /// <summary>The transaction that paid the key, or its latest attempt.</summary>
    public Task<PaymentTransaction?> FindByPaymentKeyAsync(long organisationId, string key, CancellationToken cancellationToken) =>
        FollowAsync(organisationId, PaymentRows.PaymentKeyRow(key), cancellationToken);

    public async Task<PaymentKey?> GetKeyAsync(long organisationId, string key, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), PaymentRows.PaymentKeyRow(key), ct: cancellationToken);
        return e is null ? null : PaymentKey.FromEntity(organisationId, key, e);
    }

    /// <summary>
    /// An ETag-checked write of a payment key: the key as written (with its new ETag), or null when it changed since
    /// it was read. A write that landed although its answer was lost is recognised by its write id.
    /// </summary>
    public async Task<PaymentKey?> ReplaceKeyAsync(PaymentKey key, string ifMatch, CancellationToken cancellationToken)
    {
        var written = key with { WriteId = Guid.NewGuid().ToString("N") };
        var result = await tables.Payments.ReplaceAsync(written.ToEntity(), ifMatch, cancellationToken);
        if (result.IsSuccess) return written with { ETag = result.ETag };
        var current = await GetKeyAsync(key.OrganisationId, key.Key, cancellationToken);
        return current?.WriteId == written.WriteId ? current : null;
    }

    /// <summary>The organisation (and transaction) behind a payment key or 3-D Secure session, for the hosted pages.</summary>
    public async Task<(long OrganisationId, long? TransactionId)?> LookupAsync(string lookupKey, CancellationToken cancellationToken)
    {
        var e = await tables.Lookups.GetAsync(lookupKey, "", ct: cancellationToken);
        return e?.GetInt64("OrganisationId") is { } organisationId ? (organisationId, e.GetInt64("TransactionId")) : null;
    }

    /// <summary>Written before the rows it points to, so a page never meets a key it cannot resolve.</summary>
    public Task AddLookupAsync(string lookupKey, long organisationId, long? transactionId, CancellationToken cancellationToken) =>
        tables.Lookups.InsertFreshAsync(new TableEntity(lookupKey, "") { ["OrganisationId"] = organisationId, ["TransactionId"] = transactionId }, cancellationToken);

    /// <summary>
    /// Writes a new payment key with the rows that belong with it (in its organisation's partition) in one
    /// entity-group transaction; its Lookups row goes first, so a page never meets a key it cannot resolve.
    /// </summary>
    public async Task CreateKeyAsync(PaymentKey key, IEnumerable<TableOperation?> with, CancellationToken cancellationToken)
    {
        await AddLookupAsync(PaymentRows.KeyLookup(key.Key), key.OrganisationId, null, cancellationToken);
        // The key is new and random: if the commit was refused, only this very write (its answer lost) can have made it.
        if (!await CommitAsync([TableOperation.Insert(key.ToEntity()), .. with], cancellationToken)
            && await GetKeyAsync(key.OrganisationId, key.Key, cancellationToken) is null)
        {
            throw Identity.IdentityStore.Busy();
        }
    }

    public async Task<bool> CommitAsync(IEnumerable<TableOperation?> operations, CancellationToken cancellationToken) =>
        (await SubmitAsync(operations, cancellationToken)).Succeeded;

    /// <summary>One entity-group transaction of the operations given (nulls skipped), with the new ETags.</summary>
    public Task<TableBatchResult> SubmitAsync(IEnumerable<TableOperation?> operations, CancellationToken cancellationToken) =>
        tables.Payments.SubmitBatchAsync([.. operations.OfType<TableOperation>()], cancellationToken);

    /// <summary>
    /// Transactions of an organisation in id order, after <paramref name="afterId"/>, created within [from, to),
    /// optionally only a user's; service pages are read as the caller consumes them.
    /// </summary>
    public async IAsyncEnumerable<PaymentTransaction> ListAsync(long organisationId, DateTimeOffset? from, DateTimeOffset? to,
        long? userId, long afterId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.GreaterThan("RowKey", PaymentRows.TransactionRow(afterId)))
            .And(TableFilter.LessThan("RowKey", "txn."));
        if (from is { } f) filter = filter.And(TableFilter.GreaterThanOrEqual("Created", f));
        if (to is { } t) filter = filter.And(TableFilter.LessThan("Created", t));
        if (userId is { } u) filter = filter.And(TableFilter.Equal("UserId", u));
        await foreach (var e in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken))
        {
            yield return PaymentTransaction.FromEntity(organisationId, e);
        }
    }

    private async Task<PaymentTransaction?> FollowAsync(long organisationId, string indexRow, CancellationToken cancellationToken)
    {
        var index = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), indexRow, ["TransactionId"], cancellationToken);
        return index?.GetInt64("TransactionId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
    }

    /// <summary>Whether a refund was booked (its ledger row exists).</summary>
    public async Task<bool> HasRefundAsync(long organisationId, long transactionId, string refundId, CancellationToken cancellationToken) =>
        await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), PaymentRows.RefundRow(transactionId, refundId), ["Amount"], cancellationToken) is not null;

    /// <summary>The ledger row of a booked refund, written with the booking.</summary>
    public static TableOperation RefundRow(PaymentTransaction t, RefundInFlight refund, DateTimeOffset now) =>
        TableOperation.Insert(new TableEntity(PaymentRows.Partition(t.OrganisationId), PaymentRows.RefundRow(t.Id, refund.Id))
        {
            ["Kind"] = "refund", ["TransactionId"] = t.Id, ["Amount"] = refund.AmountMinor, ["Reserved"] = refund.Since, ["Booked"] = now,
        });

    public static TableOperation IndexRow(long organisationId, string row, long transactionId) =>
        TableOperation.Insert(new TableEntity(PaymentRows.Partition(organisationId), row) { ["Kind"] = "index", ["TransactionId"] = transactionId });
}
