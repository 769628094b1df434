using Azure;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>An organisation's API key as listed: never the key itself, which is shown once, at creation.</summary>
public sealed record ApiKey(string Id, string? Name, string Mode, string Prefix, DateTimeOffset Created);

/// <summary>
/// API keys (<c>x-api-key</c>), per organisation, in test or live mode. The key is shown once; storage keeps its
/// SHA-256 twice over: in the ApiKeys table (fingerprint → organisation, for authentication in one read) and on the
/// key's row in the organisation's partition (for listing and revoking).
/// </summary>
public sealed class ApiKeyService(GatewayTables tables, TimeProvider time)
{
    private const string LookupRow = "apikey";
    private const string RowPrefix = "apikey-";

    public async Task<(ApiKey Key, string Secret)> CreateAsync(Organisation organisation, string mode, string? name, CancellationToken cancellationToken)
    {
        if (mode == OrganisationModes.Live && organisation.Mode != OrganisationModes.Live)
        {
            throw ApiException.Forbidden("A test-mode organisation can only have test keys; an operator must switch it to live first.");
        }
        var id = "key_" + Secrets.Hex(8);
        var secret = $"sk_{mode}_" + Secrets.Base64Url(24);
        var key = new ApiKey(id, name, mode, secret[..12], time.GetUtcNow());
        var fingerprint = Secrets.Fingerprint(secret);

        // The listed row first: if the second write never happens, the key is visible (and revocable) but unusable,
        // never usable but invisible.
        var row = new TableEntity(IdentityKeys.Partition(organisation.Id), RowPrefix + id)
        {
            ["Name"] = name,
            ["Mode"] = mode,
            ["Prefix"] = key.Prefix,
            ["Created"] = key.Created,
            ["Fingerprint"] = fingerprint,
        };
        await tables.Identity.InsertFreshAsync(row, cancellationToken);
        var lookup = new TableEntity(fingerprint, LookupRow) { ["OrganisationId"] = organisation.Id, ["Mode"] = mode };
        await tables.ApiKeys.InsertFreshAsync(lookup, cancellationToken);
        return (key, secret);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(long organisationId, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        await foreach (var row in tables.Identity.QueryAsync<TableEntity>(TableFilters.RowPrefix(IdentityKeys.Partition(organisationId), RowPrefix),
            cancellationToken: cancellationToken))
        {
            keys.Add(new ApiKey(row.RowKey[RowPrefix.Length..], row.GetString("Name"), row.GetString("Mode")!,
                row.GetString("Prefix")!, row.GetDateTimeOffset("Created")!.Value));
        }
        return keys;
    }

    /// <summary>Revokes a key: the lookup row first, so it stops working before it stops being listed. False if unknown.</summary>
    public async Task<bool> RevokeAsync(long organisationId, string keyId, CancellationToken cancellationToken)
    {
        if (!keyId.StartsWith("key_", StringComparison.Ordinal) || keyId.Length != 20 || !keyId[4..].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }
        var partition = IdentityKeys.Partition(organisationId);
        var row = await tables.Identity.FindAsync(partition, RowPrefix + keyId, cancellationToken: cancellationToken);
        if (row is null) return false;
        await tables.ApiKeys.DeleteEntityAsync(row.GetString("Fingerprint"), LookupRow, ETag.All, cancellationToken);
        await tables.Identity.DeleteEntityAsync(partition, row.RowKey, ETag.All, cancellationToken);
        return true;
    }

    /// <summary>The organisation and mode of a presented key, or null when it is unknown or revoked.</summary>
    public async Task<(long OrganisationId, string Mode)?> FindAsync(string secret, CancellationToken cancellationToken)
    {
        if (secret.Length is < 16 or > 64) return null;
        var lookup = await tables.ApiKeys.FindAsync(Secrets.Fingerprint(secret), LookupRow, cancellationToken: cancellationToken);
        return lookup is null ? null : (lookup.GetInt64("OrganisationId")!.Value, lookup.GetString("Mode")!);
    }
}
