using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>
/// The payment rows of the Payments table (transactions and their index rows, payment keys, outbox events,
/// idempotency records, booked refunds) and the Lookups rows that lead payers' pages to them. A transaction's rows
/// are in its shard's partition (<see cref="PaymentRows"/>); reads by id go straight there, reads by reference or
/// payment key and lists fan out over the organisation's partitions in parallel. The cards, schedules and express
/// links that commit with payments keep their own rows in the home partition (see their stores) and commit through
/// <see cref="CommitAsync"/>.
/// </summary>
public sealed partial class PaymentStore(GatewayTables tables)
{
    public async Task<PaymentTransaction?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.TransactionPartition(organisationId, id), PaymentRows.TransactionRow(id),
            cancellationToken: cancellationToken);
        return e is null ? null : PaymentTransaction.FromEntity(organisationId, e);
    }

    public Task<PaymentTransaction?> FindByGatewayReferenceAsync(Organisation organisation, string gatewayReference,
        CancellationToken cancellationToken) =>
        FollowAsync(organisation, PaymentRows.GatewayReferenceRow(gatewayReference), cancellationToken);

    /// <summary>The id of the transaction with this gateway reference, from its index row alone.</summary>
    public Task<long?> FindIdByGatewayReferenceAsync(Organisation organisation, string gatewayReference,
        CancellationToken cancellationToken) =>
        IndexedIdAsync(organisation, PaymentRows.GatewayReferenceRow(gatewayReference), cancellationToken);

    /// <summary>The newest transaction with this merchant reference (references need not be unique).</summary>
    public async Task<PaymentTransaction?> FindByMerchantReferenceAsync(Organisation organisation, string reference,
        CancellationToken cancellationToken)
    {
        // Each partition's newest comes first (ids are inverted in the key); the newest of those is the answer.
        var newest = await Task.WhenAll(Partitions(organisation).Select(async partition =>
        {
            var filter = TableFilters.RowPrefix(partition, PaymentRows.MerchantReferencePrefix(reference));
            await foreach (var index in tables.Payments.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["TransactionId"],
                cancellationToken))
            {
                return index.GetInt64("TransactionId");
            }
            return null;
        }));
        return newest.Max() is { } id ? await GetAsync(organisation.Id, id, cancellationToken) : null;
    }

    /// <summary>The transaction that paid the key, or its latest attempt.</summary>
    public Task<PaymentTransaction?> FindByPaymentKeyAsync(Organisation organisation, string key, CancellationToken cancellationToken) =>
        FollowAsync(organisation, PaymentRows.PaymentKeyRow(key), cancellationToken);

    /// <summary>
    /// Transactions of an organisation in id order, after <paramref name="afterId"/>, created within [from, to),
    /// optionally only a user's. Each partition is queried in key order, <paramref name="pageSize"/> rows a service
    /// page (a caller that takes a page of n asks for n), and the streams are merged by id as the caller consumes them.
    /// </summary>
    public IAsyncEnumerable<PaymentTransaction> ListAsync(Organisation organisation, DateTimeOffset? from, DateTimeOffset? to,
        long? userId, long afterId, CancellationToken cancellationToken, int? pageSize = null)
    {
        var conditions = TableClient.CreateQueryFilter(
            $"RowKey gt {PaymentRows.TransactionRow(afterId)} and RowKey lt {TransactionsEnd}");
        if (from is { } f) conditions = TableFilters.And(conditions, TableClient.CreateQueryFilter($"Created ge {f}"));
        if (to is { } t) conditions = TableFilters.And(conditions, TableClient.CreateQueryFilter($"Created lt {t}"));
        if (userId is { } u) conditions = TableFilters.And(conditions, TableClient.CreateQueryFilter($"UserId eq {u}"));
        var streams = Partitions(organisation).Select(partition => tables.Payments
            .QueryAsync<TableEntity>(TableFilters.And(TableFilters.Partition(partition), conditions), pageSize, cancellationToken: cancellationToken)
            .Select(e => PaymentTransaction.FromEntity(organisation.Id, e)));
        return OrderedMerge.ByAsync(streams, t => t.Id, cancellationToken);
    }

    /// <summary>Transactions of every organisation whose 3-D Secure challenge began before <paramref name="startedBefore"/> and is still open.</summary>
    public IAsyncEnumerable<PaymentTransaction> OpenChallengesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken) =>
        AcrossOrganisationsAsync(TableClient.CreateQueryFilter(
            $"Status eq {TransactionStatus.Pending} and ChallengeStarted lt {startedBefore}"), cancellationToken);

    /// <summary>Transactions of every organisation with a refund reserved and not yet booked (a JSON array is stored).</summary>
    public IAsyncEnumerable<PaymentTransaction> RefundsInFlightAsync(CancellationToken cancellationToken) =>
        AcrossOrganisationsAsync(TableClient.CreateQueryFilter($"RefundsInFlight ge {"["}"), cancellationToken);

    /// <summary>Transactions of every organisation with a settle or reversal marked and not yet booked (a JSON object is stored).</summary>
    public IAsyncEnumerable<PaymentTransaction> ChangesInFlightAsync(CancellationToken cancellationToken) =>
        AcrossOrganisationsAsync(TableClient.CreateQueryFilter($"Changing ge {"{"}"), cancellationToken);

    /// <summary>
    /// The rows of a new transaction: the transaction, its gateway and merchant reference index rows, its first outbox
    /// event and, for payments made without a payment key, the index row that finds them by their own key. Every
    /// path that books a new transaction (the payment service, the schedule runner) writes these, plus its own rows.
    /// </summary>
    public static IEnumerable<TableTransactionAction> NewTransaction(PaymentTransaction t, PaymentEvent first, DateTimeOffset now, bool indexPaymentKey)
    {
        yield return TableActions.Insert(t.ToEntity());
        yield return IndexRow(t, PaymentRows.GatewayReferenceRow(t.GatewayReference));
        yield return IndexRow(t, PaymentRows.MerchantReferenceRow(t.MerchantReference, t.Id));
        if (indexPaymentKey) yield return IndexRow(t, PaymentRows.PaymentKeyRow(t.PaymentKey));
        yield return EventInsert(first, now, t.NotifyUrl);
    }

    /// <summary>A change of a transaction, checked against the ETag it was read with, and the event it makes (if any).</summary>
    public static IEnumerable<TableTransactionAction> ChangedTransaction(PaymentTransaction before, PaymentTransaction after,
        PaymentEvent? paymentEvent, DateTimeOffset now)
    {
        yield return TableActions.Replace(after.ToEntity(), before.ETag);
        if (paymentEvent is not null) yield return EventInsert(paymentEvent, now, after.NotifyUrl);
    }

    /// <summary>The ledger row of a booked refund, written with the booking.</summary>
    public static TableTransactionAction RefundRow(PaymentTransaction t, RefundInFlight refund, DateTimeOffset now) =>
        TableActions.Insert(new TableEntity(PaymentRows.TransactionPartition(t.OrganisationId, t.Id), PaymentRows.RefundRow(t.Id, refund.Id))
        {
            ["Kind"] = "refund", ["TransactionId"] = t.Id, ["Amount"] = refund.AmountMinor, ["Reserved"] = refund.Since, ["Booked"] = now,
        });

    /// <summary>A transaction's booked refunds, in the order of their ids (not of time: sort by <c>Booked</c>).</summary>
    public async Task<List<BookedRefund>> RefundsAsync(long organisationId, long transactionId, CancellationToken cancellationToken)
    {
        var list = new List<BookedRefund>();
        var filter = TableFilters.RowPrefix(PaymentRows.TransactionPartition(organisationId, transactionId),
            PaymentRows.RefundRow(transactionId, ""));
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, select: ["Amount", "Booked"], cancellationToken: cancellationToken))
        {
            list.Add(new BookedRefund(e.GetInt64("Amount") ?? 0, e.GetDateTimeOffset("Booked") ?? DateTimeOffset.MinValue));
        }
        return [.. list.OrderBy(r => r.Booked)];
    }

    /// <summary>Whether a refund was booked (its ledger row exists).</summary>
    public async Task<bool> HasRefundAsync(long organisationId, long transactionId, string refundId, CancellationToken cancellationToken) =>
        await tables.Payments.FindAsync(PaymentRows.TransactionPartition(organisationId, transactionId),
            PaymentRows.RefundRow(transactionId, refundId), ["Amount"],
            cancellationToken) is not null;

    public async Task<PaymentKey?> GetKeyAsync(long organisationId, string key, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), PaymentRows.PaymentKeyRow(key), cancellationToken: cancellationToken);
        return e is null ? null : PaymentKey.FromEntity(organisationId, key, e);
    }

    /// <summary>
    /// An ETag-checked write of a payment key: the key as written (with its new ETag), or null when it changed since
    /// it was read. A write that landed although its answer was lost is recognised by its write id.
    /// </summary>
    public async Task<PaymentKey?> ReplaceKeyAsync(PaymentKey key, ETag ifMatch, CancellationToken cancellationToken)
    {
        var written = key with { WriteId = Guid.NewGuid().ToString("N") };
        if (await tables.Payments.TryReplaceAsync(written.ToEntity(), ifMatch, cancellationToken) is { } etag) return written with { ETag = etag };
        var current = await GetKeyAsync(key.OrganisationId, key.Key, cancellationToken);
        return current?.WriteId == written.WriteId ? current : null;
    }

    /// <summary>A payment key's change (checked against the ETag it was read with), to commit with other rows.</summary>
    public static TableTransactionAction KeyChange(PaymentKey changed, ETag ifMatch) => TableActions.Replace(changed.ToEntity(), ifMatch);

    /// <summary>
    /// Writes a new payment key with the rows that belong with it (in its organisation's partition) in one
    /// entity-group transaction; its Lookups row goes first, so a page never meets a key it cannot resolve. Returns
    /// the key as written, with its ETag, so that a caller paying it at once need not read it back.
    /// </summary>
    public async Task<PaymentKey> CreateKeyAsync(PaymentKey key, IEnumerable<TableTransactionAction?> with,
        CancellationToken cancellationToken)
    {
        await AddLookupAsync(PaymentRows.KeyLookup(key.Key), key.OrganisationId, null, cancellationToken);
        if (await SubmitAsync([TableActions.Insert(key.ToEntity()), .. with], cancellationToken) is { } etags)
        {
            return key with { ETag = etags[0] };
        }
        // The key is new and random: if the commit was refused, only this very write (its answer lost) can have made it.
        return await GetKeyAsync(key.OrganisationId, key.Key, cancellationToken) ?? throw Identity.IdentityStore.Busy();
    }

    /// <summary>The organisation (and transaction) behind a payment key or 3-D Secure session, for the hosted pages.</summary>
    public async Task<(long OrganisationId, long? TransactionId)?> LookupAsync(string lookupKey, CancellationToken cancellationToken)
    {
        var e = await tables.Lookups.FindAsync(lookupKey, "", cancellationToken: cancellationToken);
        return e?.GetInt64("OrganisationId") is { } organisationId ? (organisationId, e.GetInt64("TransactionId")) : null;
    }

    /// <summary>Written before the rows it points to, so a page never meets a key it cannot resolve.</summary>
    public Task AddLookupAsync(string lookupKey, long organisationId, long? transactionId, CancellationToken cancellationToken) =>
        tables.Lookups.InsertFreshAsync(
            new TableEntity(lookupKey, "") { ["OrganisationId"] = organisationId, ["TransactionId"] = transactionId }, cancellationToken);

    /// <summary>
    /// One entity-group transaction in an organisation's partition of the operations given (nulls skipped): false
    /// when storage refused it (a row to insert exists, an ETag no longer matched), and then nothing was written.
    /// </summary>
    public async Task<bool> CommitAsync(IEnumerable<TableTransactionAction?> operations, CancellationToken cancellationToken) =>
        await SubmitAsync(operations, cancellationToken) is not null;

    /// <summary>Like <see cref="CommitAsync"/>, with every row's new ETag in order; null when refused.</summary>
    public Task<IReadOnlyList<ETag>?> SubmitAsync(IEnumerable<TableTransactionAction?> operations, CancellationToken cancellationToken) =>
        tables.Payments.TrySubmitAsync(operations, cancellationToken);

    // Row keys sort as text; '.' follows '-', so "txn." is the first key after every "txn-..." one.
    private const string TransactionsEnd = "txn.";

    private async IAsyncEnumerable<PaymentTransaction> AcrossOrganisationsAsync(string filter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var transactions = TableClient.CreateQueryFilter($"RowKey ge {PaymentRows.TransactionPrefix} and RowKey lt {TransactionsEnd}");
        await foreach (var row in tables.Payments.QueryAsync<TableEntity>(TableFilters.And(transactions, filter), cancellationToken: cancellationToken))
        {
            yield return PaymentTransaction.FromEntity(PaymentRows.OrganisationOf(row.PartitionKey), row);
        }
    }

    /// <summary>An index row is unique in the organisation (a gateway reference, a payment key): look in every partition at once.</summary>
    private async Task<PaymentTransaction?> FollowAsync(Organisation organisation, string indexRow, CancellationToken cancellationToken) =>
        await IndexedIdAsync(organisation, indexRow, cancellationToken) is { } id ? await GetAsync(organisation.Id, id, cancellationToken) : null;

    private async Task<long?> IndexedIdAsync(Organisation organisation, string indexRow, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(Partitions(organisation)
            .Select(partition => tables.Payments.FindAsync(partition, indexRow, ["TransactionId"], cancellationToken)));
        return found.FirstOrDefault(e => e is not null)?.GetInt64("TransactionId");
    }

    /// <summary>Every partition the organisation's transactions may be in: the count only rises, so this covers all.</summary>
    private static IEnumerable<string> Partitions(Organisation organisation) =>
        Enumerable.Range(0, organisation.PaymentPartitions.Count).Select(shard => PaymentRows.ShardPartition(organisation.Id, shard));

    private static TableTransactionAction IndexRow(PaymentTransaction t, string row) =>
        TableActions.Insert(new TableEntity(PaymentRows.TransactionPartition(t.OrganisationId, t.Id), row)
        {
            ["Kind"] = "index", ["TransactionId"] = t.Id,
        });
}

/// <summary>A refund as the ledger booked it.</summary>
public sealed record BookedRefund(long AmountMinor, DateTimeOffset Booked);
