using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Express;

/// <summary>Reads and writes of express transactions: rows in the Payments table, codes in the Lookups table.</summary>
public sealed class ExpressStore(GatewayTables tables)
{
    public async Task<ExpressLink?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), ExpressRows.Row(id), cancellationToken: cancellationToken);
        return e is null ? null : ExpressLink.FromEntity(organisationId, e);
    }

    /// <summary>The newest express transaction with this reference (references need not be unique).</summary>
    public async Task<ExpressLink?> FindByReferenceAsync(long organisationId, string reference, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), ExpressRows.ReferencePrefix(reference));
        await foreach (var index in tables.Payments.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["ExpressId"], cancellationToken))
        {
            return index.GetInt64("ExpressId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
        }
        return null;
    }

    /// <summary>The organisation and express transaction behind a link's code.</summary>
    public async Task<(long OrganisationId, long ExpressId)?> LookupAsync(string code, CancellationToken cancellationToken)
    {
        var e = await tables.Lookups.FindAsync(ExpressRows.CodeLookup(code), "", cancellationToken: cancellationToken);
        return e?.GetInt64("OrganisationId") is { } organisationId && e.GetInt64("ExpressId") is { } id ? (organisationId, id) : null;
    }

    /// <summary>Written before the express row, so a link never names a code that cannot be resolved.</summary>
    public Task AddLookupAsync(string code, long organisationId, long id, CancellationToken cancellationToken) =>
        tables.Lookups.InsertFreshAsync(new TableEntity(ExpressRows.CodeLookup(code), "") { ["OrganisationId"] = organisationId, ["ExpressId"] = id },
            cancellationToken);

    public static TableTransactionAction Insert(ExpressLink link) => TableActions.Insert(link.ToEntity());

    public static TableTransactionAction ReferenceIndex(ExpressLink link) =>
        TableActions.Insert(new TableEntity(PaymentRows.Partition(link.OrganisationId), ExpressRows.ReferenceRow(link.Reference, link.Id))
        {
            ["Kind"] = "index", ["ExpressId"] = link.Id,
        });

    public static TableTransactionAction Replace(ExpressLink link) => TableActions.Replace(link.ToEntity(), link.ETag);

    /// <summary>An ETag-checked write of the row alone; false when it changed since it was read.</summary>
    public async Task<bool> TryReplaceAsync(ExpressLink link, CancellationToken cancellationToken) =>
        await tables.Payments.TryReplaceAsync(link.ToEntity(), link.ETag, cancellationToken) is not null;
}
