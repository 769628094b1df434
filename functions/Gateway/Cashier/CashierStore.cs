using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Cashier;

/// <summary>
/// The cashier's rows in the Payments table: its transactions (<c>csh-</c>), the index by public id (<c>cid-</c>) and
/// the tracking-id claims (<c>ctrk-</c>), all in the organisation's partition; they commit, with their outbox events,
/// through <see cref="PaymentStore"/>. The cashier page's token leads to them through a Lookups row.
/// </summary>
public sealed class CashierStore(GatewayTables tables, PaymentStore payments)
{
    public async Task<CashierTransaction?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), CashierTransaction.Row(id),
            cancellationToken: cancellationToken);
        return e is null ? null : CashierTransaction.FromEntity(e);
    }

    /// <summary>By the public id; ids that cannot be one are never looked up.</summary>
    public async Task<CashierTransaction?> FindAsync(long organisationId, string publicId,
        CancellationToken cancellationToken)
    {
        if (!TableExtensions.IsValidKey(publicId) || publicId.Length > 64) return null;
        return await FollowAsync(organisationId, CashierTransaction.PublicIdRow(publicId), cancellationToken);
    }

    /// <summary>The transaction a tracking id opened, if any.</summary>
    public Task<CashierTransaction?> FindByTrackingIdAsync(long organisationId, string trackingId,
        CancellationToken cancellationToken) =>
        FollowAsync(organisationId, CashierTransaction.TrackingRow(trackingId), cancellationToken);

    /// <summary>The transaction behind a cashier page's token.</summary>
    public async Task<CashierTransaction?> OpenAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length != 50 || !token.All(char.IsAsciiLetterOrDigit)) return null;
        return await payments.LookupAsync(CashierTransaction.TokenLookup(token), cancellationToken) is ({ } org, { } id)
            ? await GetAsync(org, id, cancellationToken)
            : null;
    }

    /// <summary>
    /// A new transaction with its public-id index row, its tracking-id claim and (when it starts final) its event, in
    /// one entity-group transaction. The page token's Lookups row and the runner's note (when <paramref name="due"/>)
    /// go first, together, so a page never meets a token it cannot resolve and no open transaction is unnoted. Null
    /// when storage refused it: the tracking id (or, vanishingly rarely, the public id) is taken.
    /// </summary>
    public async Task<CashierTransaction?> CreateAsync(CashierTransaction t, PaymentEvent? first, DateTimeOffset? due,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            payments.AddLookupAsync(CashierTransaction.TokenLookup(t.Token), t.OrganisationId, t.Id, cancellationToken),
            due is { } at ? NoteDueAsync(t, at, cancellationToken) : Task.CompletedTask);
        var partition = PaymentRows.Partition(t.OrganisationId);
        var etags = await payments.SubmitAsync(
        [
            TableActions.Insert(t.ToEntity()),
            TableActions.Insert(new TableEntity(partition, CashierTransaction.PublicIdRow(t.PublicId))
            {
                ["Kind"] = "index", ["TransactionId"] = t.Id,
            }),
            TableActions.Insert(new TableEntity(partition, CashierTransaction.TrackingRow(t.TrackingId))
            {
                ["Kind"] = "index", ["TransactionId"] = t.Id,
            }),
            first is null ? null : PaymentStore.EventInsert(first, now, null),
        ], cancellationToken);
        return etags is null ? null : t with { ETag = etags[0] };
    }

    /// <summary>
    /// An ETag-checked change with its event: the transaction as written, or null when it changed meanwhile.
    /// </summary>
    public async Task<CashierTransaction?> ChangeAsync(CashierTransaction before, CashierTransaction after,
        PaymentEvent? change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var etags = await payments.SubmitAsync(
            [TableActions.Replace(after.ToEntity(), before.ETag),
                change is null ? null : PaymentStore.EventInsert(change, now, null)],
            cancellationToken);
        return etags is null ? null : after with { ETag = etags[0] };
    }

    /// <summary>An organisation's transactions created within [from, to), in id order.</summary>
    public async IAsyncEnumerable<CashierTransaction> ListAsync(long organisationId, DateTimeOffset from,
        DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PaymentRows.Partition(organisationId)} and RowKey ge {CashierTransaction.RowPrefix
                } and RowKey lt {CashierTransaction.RowsEnd} and Created ge {from} and Created lt {to}");
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return CashierTransaction.FromEntity(e);
        }
    }

    /// <summary>
    /// Notes that the runner has work for the transaction from <paramref name="due"/> on: an approved payout to send,
    /// or a page or 3-D Secure challenge to close if still open by then. Written before the change it follows, so no
    /// work is ever unnoted; a note with nothing to do (the change lost its race, the user finished) costs the runner
    /// one read. The notes are spread over <see cref="DueShards"/> Lookups partitions, so the runner reads only what
    /// is due instead of scanning every organisation's ledger, and no one partition takes every organisation's writes.
    /// </summary>
    public Task NoteDueAsync(CashierTransaction t, DateTimeOffset due, CancellationToken cancellationToken) =>
        tables.Lookups.UpsertAsync(new TableEntity(DuePartition(t.OrganisationId), DueRow(t.OrganisationId, t.Id))
        {
            ["Due"] = due,
        }, cancellationToken);

    /// <summary>Every organisation's noted transactions due by <paramref name="now"/>.</summary>
    public async IAsyncEnumerable<(long OrganisationId, long Id)> DueAsync(DateTimeOffset now,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var shard = 0; shard < DueShards; shard++)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DuePartition(shard)} and Due le {now}");
            await foreach (var e in tables.Lookups.QueryAsync<TableEntity>(filter, select: ["RowKey"],
                cancellationToken: cancellationToken))
            {
                var parts = e.RowKey.Split('-');
                yield return (long.Parse(parts[0], CultureInfo.InvariantCulture),
                    long.Parse(parts[1], CultureInfo.InvariantCulture));
            }
        }
    }

    public Task ForgetDueAsync(long organisationId, long id, CancellationToken cancellationToken) =>
        tables.Lookups.TryDeleteAsync(DuePartition(organisationId), DueRow(organisationId, id), Azure.ETag.All,
            cancellationToken);

    public const int DueShards = 16;

    private static string DuePartition(long organisationId) => $"cashier-due-{organisationId % DueShards:D2}";

    private static string DueRow(long organisationId, long id) => $"{organisationId:D10}-{id:D12}";

    /// <summary>
    /// The providers the organisation switched off (Settings - providers). Disabled ones are kept rather than enabled
    /// ones, so a provider added to the catalogue later is offered without every organisation opting in.
    /// </summary>
    public async Task<IReadOnlyList<int>> DisabledProvidersAsync(long organisationId,
        CancellationToken cancellationToken) =>
        CashierProviders.ParseIds((await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), SettingsRow,
            ["Disabled"], cancellationToken))?.GetString("Disabled"));

    public Task SetDisabledProvidersAsync(long organisationId, IEnumerable<int> disabled,
        CancellationToken cancellationToken) =>
        tables.Payments.UpsertAsync(new TableEntity(PaymentRows.Partition(organisationId), SettingsRow)
        {
            ["Kind"] = "cashier-settings", ["Disabled"] = string.Join(',', disabled),
        }, cancellationToken);

    private const string SettingsRow = "cashier-settings";

    private async Task<CashierTransaction?> FollowAsync(long organisationId, string indexRow,
        CancellationToken cancellationToken)
    {
        var index = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), indexRow, ["TransactionId"],
            cancellationToken);
        return index?.GetInt64("TransactionId") is { } id
            ? await GetAsync(organisationId, id, cancellationToken)
            : null;
    }
}
