using Gateway.Api;

namespace Gateway.Identity;

/// <summary>An organisation's API key as listed: never the key itself, which is shown once, at creation.</summary>
public sealed record ApiKey(string Id, string? Name, string Mode, string Prefix, DateTimeOffset Created);

/// <summary>
/// API keys (<c>x-api-key</c>), per organisation, in test or live mode. The key is shown once; storage keeps its
/// SHA-256 twice over: in the ApiKeys table (fingerprint → organisation, for authentication in one read) and on the
/// key's row in the organisation's partition (for listing and revoking).
/// </summary>
public sealed class ApiKeyService(IdentityStore store, TimeProvider time)
{
    public async Task<(ApiKey Key, string Secret)> CreateAsync(Organisation organisation, string mode, string? name, CancellationToken cancellationToken)
    {
        if (mode == OrganisationModes.Live && organisation.Mode != OrganisationModes.Live)
        {
            throw ApiException.Forbidden("A test-mode organisation can only have test keys; an operator must switch it to live first.");
        }
        var id = "key_" + Secrets.Hex(8);
        var secret = $"sk_{mode}_" + Secrets.Base64Url(24);
        var key = new ApiKey(id, name, mode, secret[..12], time.GetUtcNow());
        await store.AddApiKeyAsync(organisation.Id, key, Secrets.Fingerprint(secret), cancellationToken);
        return (key, secret);
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(long organisationId, CancellationToken cancellationToken) =>
        store.ListApiKeysAsync(organisationId, cancellationToken);

    /// <summary>Revokes a key; false if the organisation has no such key.</summary>
    public async Task<bool> RevokeAsync(long organisationId, string keyId, CancellationToken cancellationToken) =>
        keyId.StartsWith("key_", StringComparison.Ordinal) && keyId.Length == 20 && keyId[4..].All(char.IsAsciiHexDigitLower)
        && await store.RevokeApiKeyAsync(organisationId, keyId, cancellationToken);

    /// <summary>The organisation and mode of a presented key, or null when it is unknown or revoked.</summary>
    public async Task<(long OrganisationId, string Mode)?> FindAsync(string secret, CancellationToken cancellationToken) =>
        secret.Length is < 16 or > 64 ? null : await store.FindApiKeyAsync(Secrets.Fingerprint(secret), cancellationToken);
}
