using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Express;

/// <summary>Reads and writes of express transactions: rows in the Payments table, codes in the Lookups table.</summary>
public sealed class ExpressStore(GatewayTables tables)
{
    public async Task<ExpressLink?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), ExpressRows.Row(id), ct: cancellationToken);
        return e is null ? null : ExpressLink.FromEntity(organisationId, e);
    }

    /// <summary>The newest express transaction with this reference (references need not be unique).</summary>
    public async Task<ExpressLink?> FindByReferenceAsync(long organisationId, string reference, CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.RowKeyStartsWith(ExpressRows.ReferencePrefix(reference)));
        var page = await tables.Payments.QueryPageAsync(new TableQuery(filter, ["ExpressId"], Top: 1), ct: cancellationToken);
        return page.Entities.FirstOrDefault()?.GetInt64("ExpressId") is { } id ? await GetAsync(organisationId, id, cancellationToken) : null;
    }

    /// <summary>The organisation and express transaction behind a link's code.</summary>
    public async Task<(long OrganisationId, long ExpressId)?> LookupAsync(string code, CancellationToken cancellationToken)
    {
        var e = await tables.Lookups.GetAsync(ExpressRows.CodeLookup(code), "", ct: cancellationToken);
        return e?.GetInt64("OrganisationId") is { } organisationId && e.GetInt64("ExpressId") is { } id ? (organisationId, id) : null;
    }

    /// <summary>Written before the express row, so a link never names a code that cannot be resolved.</summary>
    public Task AddLookupAsync(string code, long organisationId, long id, CancellationToken cancellationToken) =>
        tables.Lookups.InsertFreshAsync(new TableEntity(ExpressRows.CodeLookup(code), "") { ["OrganisationId"] = organisationId, ["ExpressId"] = id },
            cancellationToken);

    public static TableOperation Insert(ExpressLink link) => TableOperation.Insert(link.ToEntity());

    public static TableOperation ReferenceIndex(ExpressLink link) =>
        TableOperation.Insert(new TableEntity(PaymentRows.Partition(link.OrganisationId), ExpressRows.ReferenceRow(link.Reference, link.Id))
        {
            ["Kind"] = "index", ["ExpressId"] = link.Id,
        });

    public static TableOperation Replace(ExpressLink link) => TableOperation.Replace(link.ToEntity(), link.ETag!);

    /// <summary>An ETag-checked write of the row alone; false when it changed since it was read.</summary>
    public async Task<bool> TryReplaceAsync(ExpressLink link, CancellationToken cancellationToken) =>
        (await tables.Payments.ReplaceAsync(link.ToEntity(), link.ETag!, cancellationToken)).IsSuccess;
}
