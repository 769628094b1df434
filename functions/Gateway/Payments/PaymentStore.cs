using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>
/// The payment rows of the Payments table (transactions and their index rows, payment keys, outbox events,
/// idempotency records, booked refunds) and the Lookups rows that lead payers' pages to them. Every read but the
/// sweeps' is scoped to one organisation's partition. The cards, schedules and express links that commit with
/// payments keep their own rows in the same partitions (see their stores) and commit through <see cref="CommitAsync"/>.
/// </summary>
public sealed partial class PaymentStore(GatewayTables tables)
{
    public async Task<PaymentTransaction?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), PaymentRows.TransactionRow(id), cancellationToken: cancellationToken);
        return e is null ? null : PaymentTransaction.FromEntity(organisationId, e);
    }

    public Task<PaymentTransaction?> FindByGatewayReferenceAsync(long organisationId, string gatewayReference, CancellationToken cancellationToken) =>
        FollowAsync(organisationId, PaymentRows.GatewayReferenceRow(gatewayReference), cancellationToken);

    /// <summary>The newest transaction with this merchant reference (references need not be unique).</summary>
    public async Task<PaymentTransaction?> FindByMerchantReferenceAsync(long organisationId, string reference, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), PaymentRows.MerchantReferencePrefix(reference));
        await foreach (var index in tables.Payments.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["TransactionId"], cancellationToken))
        {
            return index.GetInt64("TransactionId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
        }
        return null;
    }

    /// <summary>The transaction that paid the key, or its latest attempt.</summary>
    public Task<PaymentTransaction?> FindByPaymentKeyAsync(long organisationId, string key, CancellationToken cancellationToken) =>
        FollowAsync(organisationId, PaymentRows.PaymentKeyRow(key), cancellationToken);

    /// <summary>
    /// Transactions of an organisation in id order, after <paramref name="afterId"/>, created within [from, to),
    /// optionally only a user's; service pages are read as the caller consumes them.
    /// </summary>
    public async IAsyncEnumerable<PaymentTransaction> ListAsync(long organisationId, DateTimeOffset? from, DateTimeOffset? to,
        long? userId, long afterId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PaymentRows.Partition(organisationId)} and RowKey gt {PaymentRows.TransactionRow(afterId)} and RowKey lt {TransactionsEnd}");
        if (from is { } f) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"Created ge {f}"));
        if (to is { } t) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"Created lt {t}"));
        if (userId is { } u) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"UserId eq {u}"));
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return PaymentTransaction.FromEntity(organisationId, e);
        }
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
        yield return IndexRow(t.OrganisationId, PaymentRows.GatewayReferenceRow(t.GatewayReference), t.Id);
        yield return IndexRow(t.OrganisationId, PaymentRows.MerchantReferenceRow(t.MerchantReference, t.Id), t.Id);
        if (indexPaymentKey) yield return IndexRow(t.OrganisationId, PaymentRows.PaymentKeyRow(t.PaymentKey), t.Id);
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
        TableActions.Insert(new TableEntity(PaymentRows.Partition(t.OrganisationId), PaymentRows.RefundRow(t.Id, refund.Id))
        {
            ["Kind"] = "refund", ["TransactionId"] = t.Id, ["Amount"] = refund.AmountMinor, ["Reserved"] = refund.Since, ["Booked"] = now,
        });

    /// <summary>A transaction's booked refunds, in the order of their ids (not of time: sort by <c>Booked</c>).</summary>
    public async Task<List<BookedRefund>> RefundsAsync(long organisationId, long transactionId, CancellationToken cancellationToken)
    {
        var list = new List<BookedRefund>();
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), PaymentRows.RefundRow(transactionId, ""));
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, select: ["Amount", "Booked"], cancellationToken: cancellationToken))
        {
            list.Add(new BookedRefund(e.GetInt64("Amount") ?? 0, e.GetDateTimeOffset("Booked") ?? DateTimeOffset.MinValue));
        }
        return [.. list.OrderBy(r => r.Booked)];
    }

    /// <summary>Whether a refund was booked (its ledger row exists).</summary>
    public async Task<bool> HasRefundAsync(long organisationId, long transactionId, string refundId, CancellationToken cancellationToken) =>
        await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), PaymentRows.RefundRow(transactionId, refundId), ["Amount"],
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

    private async Task<PaymentTransaction?> FollowAsync(long organisationId, string indexRow, CancellationToken cancellationToken)
    {
        var index = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), indexRow, ["TransactionId"], cancellationToken);
        return index?.GetInt64("TransactionId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
    }

    private static TableTransactionAction IndexRow(long organisationId, string row, long transactionId) =>
        TableActions.Insert(new TableEntity(PaymentRows.Partition(organisationId), row) { ["Kind"] = "index", ["TransactionId"] = transactionId });
}

/// <summary>A refund as the ledger booked it.</summary>
public sealed record BookedRefund(long AmountMinor, DateTimeOffset Booked);
