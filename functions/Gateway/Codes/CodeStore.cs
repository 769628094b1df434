using System.Security.Cryptography;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Codes;

/// <summary>Reads and writes of payable codes: rows in the Payments table, the digits' owner in the Lookups table.</summary>
public sealed class CodeStore(GatewayTables tables)
{
    /// <summary>The organisation that owns the digits, or null when no code has them.</summary>
    public async Task<long?> OwnerAsync(string code, CancellationToken cancellationToken) =>
        (await tables.Lookups.FindAsync(CodeRows.Lookup(code), "", ["OrganisationId"], cancellationToken))?.GetInt64("OrganisationId");

    public async Task<PayableCode?> GetAsync(long organisationId, string code, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), CodeRows.Row(code), cancellationToken: cancellationToken);
        return e is null ? null : PayableCode.FromEntity(organisationId, code, e);
    }

    /// <summary>The organisation's codes that are not deleted, at most <paramref name="limit"/>, in digit order.</summary>
    public async Task<List<PayableCode>> ListAsync(long organisationId, int limit, CancellationToken cancellationToken)
    {
        var list = new List<PayableCode>();
        var filter = TableFilters.And(TableFilters.RowPrefix(PaymentRows.Partition(organisationId), CodeRows.Row("")),
            TableClient.CreateQueryFilter($"State ne {CodeStates.Deleted}"));
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (list.Count == limit) break;
            list.Add(PayableCode.FromEntity(organisationId, e.RowKey[CodeRows.Row("").Length..], e));
        }
        return list;
    }

    /// <summary>
    /// Claims ten fresh random digits for the organisation, platform-wide: a payer types a code without knowing the
    /// merchant. A taken number is skipped; a claim whose answer was lost is recognised as ours by its nonce.
    /// </summary>
    public async Task<string> ClaimDigitsAsync(long organisationId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var code = RandomNumberGenerator.GetInt32(0, 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture)
                + RandomNumberGenerator.GetInt32(0, 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
            var nonce = Guid.NewGuid().ToString("N");
            var row = new TableEntity(CodeRows.Lookup(code), "") { ["OrganisationId"] = organisationId, ["Nonce"] = nonce };
            if (await tables.Lookups.TryAddAsync(row, cancellationToken) is not null) return code;
            var held = await tables.Lookups.FindAsync(CodeRows.Lookup(code), "", ["Nonce"], cancellationToken);
            if (held?.GetString("Nonce") == nonce) return code;
        }
        throw Identity.IdentityStore.Busy();
    }

    public static TableTransactionAction Insert(PayableCode code) => TableActions.Insert(code.ToEntity());

    public static TableTransactionAction Replace(PayableCode code) => TableActions.Replace(code.ToEntity(), code.ETag);
}
