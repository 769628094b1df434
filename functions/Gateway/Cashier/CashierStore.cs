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
    public async Task<CashierTransaction?> FindAsync(long organisationId, string publicId, CancellationToken cancellationToken)
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
    /// one entity-group transaction; the page token's Lookups row goes first, so a page never meets a token it cannot
    /// resolve. False when storage refused it: the tracking id (or, vanishingly rarely, the public id) is taken.
    /// </summary>
    public async Task<CashierTransaction?> CreateAsync(CashierTransaction t, PaymentEvent? first, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await payments.AddLookupAsync(CashierTransaction.TokenLookup(t.Token), t.OrganisationId, t.Id, cancellationToken);
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

    /// <summary>An ETag-checked change with its event: the transaction as written, or null when it changed meanwhile.</summary>
    public async Task<CashierTransaction?> ChangeAsync(CashierTransaction before, CashierTransaction after,
        PaymentEvent? change, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var etags = await payments.SubmitAsync(
            [TableActions.Replace(after.ToEntity(), before.ETag), change is null ? null : PaymentStore.EventInsert(change, now, null)],
            cancellationToken);
        return etags is null ? null : after with { ETag = etags[0] };
    }

    /// <summary>An organisation's transactions created within [from, to), in id order.</summary>
    public async IAsyncEnumerable<CashierTransaction> ListAsync(long organisationId, DateTimeOffset from, DateTimeOffset to,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PaymentRows.Partition(organisationId)} and RowKey ge {CashierTransaction.RowPrefix} and RowKey lt {CashierTransaction.RowsEnd} and Created ge {from} and Created lt {to}");
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return CashierTransaction.FromEntity(e);
        }
    }

    /// <summary>
    /// Every organisation's transactions the payout runner has work for: approved payouts, and pages or 3-D Secure
    /// challenges opened before <paramref name="openedBefore"/> and never finished.
    /// </summary>
    public async IAsyncEnumerable<CashierTransaction> DueAsync(DateTimeOffset openedBefore,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"RowKey ge {CashierTransaction.RowPrefix} and RowKey lt {CashierTransaction.RowsEnd} and (Stage eq {CashierStages.Approved} or ((Stage eq {CashierStages.Session} or Stage eq {CashierStages.Authenticating}) and Created lt {openedBefore}))");
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return CashierTransaction.FromEntity(e);
        }
    }

    /// <summary>
    /// The providers the organisation switched off (Settings - providers). Disabled ones are kept rather than enabled
    /// ones, so a provider added to the catalogue later is offered without every organisation opting in.
    /// </summary>
    public async Task<IReadOnlyList<int>> DisabledProvidersAsync(long organisationId, CancellationToken cancellationToken) =>
        CashierProviders.ParseIds((await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), SettingsRow, ["Disabled"],
            cancellationToken))?.GetString("Disabled"));

    public Task SetDisabledProvidersAsync(long organisationId, IEnumerable<int> disabled, CancellationToken cancellationToken) =>
        tables.Payments.UpsertAsync(new TableEntity(PaymentRows.Partition(organisationId), SettingsRow)
        {
            ["Kind"] = "cashier-settings", ["Disabled"] = string.Join(',', disabled),
        }, cancellationToken);

    private const string SettingsRow = "cashier-settings";

    private async Task<CashierTransaction?> FollowAsync(long organisationId, string indexRow, CancellationToken cancellationToken)
    {
        var index = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), indexRow, ["TransactionId"],
            cancellationToken);
        return index?.GetInt64("TransactionId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
    }
}
