using Azure;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// Reads and writes of organisations, users, logins and API keys (the Identity, Logins and ApiKeys tables). Rules
/// live in the services; this is only where rows are and how they are written together.
/// </summary>
public sealed class IdentityStore(GatewayTables tables, TimeProvider time)
{
    private const string ApiKeyLookupRow = "apikey";
    private const string ApiKeyRowPrefix = "apikey-";
    private const int MaxAttempts = 10;

    /// <summary>
    /// A username claim younger than this may belong to a request still writing its user, so it is never taken
    /// over; an older one whose user does not carry the name was left by a request that died.
    /// </summary>
    private static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(10);

    public async Task<Organisation?> GetOrganisationAsync(long id, CancellationToken cancellationToken)
    {
        var entity = await tables.Identity.FindAsync(IdentityKeys.Partition(id), Organisation.RowKey, cancellationToken: cancellationToken);
        return entity is null ? null : Organisation.FromEntity(id, entity);
    }

    /// <summary>
    /// The organisation a URL names, as the caller may see it (<see cref="Caller.ScopeOrganisation"/>): the caller's
    /// own is already loaded by authentication; operators read the one they name.
    /// </summary>
    public async Task<Organisation> ScopedOrganisationAsync(Caller caller, string routeId, CancellationToken cancellationToken)
    {
        var id = caller.ScopeOrganisation(routeId);
        var organisation = caller.Organisation?.Id == id ? caller.Organisation : await GetOrganisationAsync(id, cancellationToken);
        return organisation ?? throw Api.ApiException.NotFound("Organisation not found.");
    }

    public async Task<User?> GetUserAsync(long? organisationId, long userId, CancellationToken cancellationToken)
    {
        var entity = await tables.Identity.FindAsync(IdentityKeys.Partition(organisationId), IdentityKeys.UserRow(userId), cancellationToken: cancellationToken);
        return entity is null ? null : User.FromEntity(organisationId, entity);
    }

    /// <summary>An organisation's users in id order, from its partition.</summary>
    public async Task<IReadOnlyList<User>> ListUsersAsync(long organisationId, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowPrefix(IdentityKeys.Partition(organisationId), IdentityKeys.UserRowPrefix);
        var users = new List<User>();
        await foreach (var entity in tables.Identity.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            users.Add(User.FromEntity(organisationId, entity));
        }
        return users;
    }

    public async Task<Login?> GetLoginAsync(string username, CancellationToken cancellationToken)
    {
        var entity = await tables.Logins.FindAsync(Login.Key(username), Login.RowKey, cancellationToken: cancellationToken);
        return entity is null ? null : Login.FromEntity(entity);
    }

    /// <summary>
    /// Claims <paramref name="user"/>'s username by inserting its login row. False when another user has it, or
    /// when a claim for it is younger than <see cref="ClaimLease"/> (another request may be creating that user now).
    /// </summary>
    public async Task<bool> ClaimUsernameAsync(User user, CancellationToken cancellationToken)
    {
        var claim = new Login(user.Username, user.OrganisationId, user.Id, time.GetUtcNow());
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await tables.Logins.TryAddAsync(claim.ToEntity(), cancellationToken) is not null) return true;

            var existing = await GetLoginAsync(user.Username, cancellationToken);
            if (existing is null) continue;
            // Ours already: an earlier attempt of this insert landed although its answer was lost.
            if (existing.IsFor(user)) return true;

            var holder = await GetUserAsync(existing.OrganisationId, existing.UserId, cancellationToken);
            if (holder is not null && Login.Key(holder.Username) == Login.Key(user.Username)) return false;
            if (time.GetUtcNow() - existing.Claimed < ClaimLease) return false;

            if (await tables.Logins.TryReplaceAsync(claim.ToEntity(), existing.ETag, cancellationToken) is not null) return true;
        }
        throw Busy();
    }

    /// <summary>Gives a username back, if it is still held by this user.</summary>
    public async Task ReleaseUsernameAsync(string username, User user, CancellationToken cancellationToken)
    {
        var existing = await GetLoginAsync(username, cancellationToken);
        if (existing is not null && existing.IsFor(user))
        {
            await tables.Logins.TryDeleteAsync(Login.Key(username), Login.RowKey, existing.ETag, cancellationToken);
        }
    }

    /// <summary>
    /// Writes rows of one organisation's partition atomically. False when an ETag no longer matched or a row to
    /// insert already exists: the data changed since it was read (possibly by an earlier attempt of this very
    /// write whose answer was lost, which callers recognise by re-reading).
    /// </summary>
    public async Task<bool> CommitAsync(IReadOnlyList<TableTransactionAction> operations, CancellationToken cancellationToken) =>
        await tables.Identity.TrySubmitAsync(operations, cancellationToken) is not null;

    /// <summary>
    /// Optimistic concurrency, once: runs <paramref name="attempt"/> (read, decide, commit) until one attempt
    /// commits. An attempt returns null when its commit lost a race, and is then run again from the read.
    /// </summary>
    public static async Task<T> UntilCommittedAsync<T>(Func<Task<T?>> attempt) where T : class
    {
        for (var i = 0; i < MaxAttempts; i++)
        {
            if (await attempt() is { } committed) return committed;
        }
        throw Busy();
    }

    /// <summary>
    /// Keeps an API key's SHA-256 twice over: on the key's row in the organisation's partition (for listing and
    /// revoking) and in the ApiKeys table (fingerprint to organisation, so authenticating takes one read). The listed
    /// row goes first: if the second write never happens, the key is visible (and revocable) but unusable, never
    /// usable but invisible.
    /// </summary>
    public async Task AddApiKeyAsync(long organisationId, ApiKey key, string fingerprint, CancellationToken cancellationToken)
    {
        await tables.Identity.InsertFreshAsync(new TableEntity(IdentityKeys.Partition(organisationId), ApiKeyRowPrefix + key.Id)
        {
            ["Name"] = key.Name, ["Mode"] = key.Mode, ["Prefix"] = key.Prefix, ["Created"] = key.Created, ["Fingerprint"] = fingerprint,
        }, cancellationToken);
        await tables.ApiKeys.InsertFreshAsync(
            new TableEntity(fingerprint, ApiKeyLookupRow) { ["OrganisationId"] = organisationId, ["Mode"] = key.Mode }, cancellationToken);
    }

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(long organisationId, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        var filter = TableFilters.RowPrefix(IdentityKeys.Partition(organisationId), ApiKeyRowPrefix);
        await foreach (var row in tables.Identity.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            keys.Add(new ApiKey(row.RowKey[ApiKeyRowPrefix.Length..], row.GetString("Name"), row.GetString("Mode"),
                row.GetString("Prefix"), row.GetDateTimeOffset("Created")!.Value));
        }
        return keys;
    }

    /// <summary>Revokes a key: the lookup row first, so it stops working before it stops being listed. False if unknown.</summary>
    public async Task<bool> RevokeApiKeyAsync(long organisationId, string keyId, CancellationToken cancellationToken)
    {
        var partition = IdentityKeys.Partition(organisationId);
        var row = await tables.Identity.FindAsync(partition, ApiKeyRowPrefix + keyId, cancellationToken: cancellationToken);
        if (row is null) return false;
        await tables.ApiKeys.DeleteEntityAsync(row.GetString("Fingerprint"), ApiKeyLookupRow, ETag.All, cancellationToken);
        await tables.Identity.DeleteEntityAsync(partition, row.RowKey, ETag.All, cancellationToken);
        return true;
    }

    /// <summary>The organisation and mode of the key with this fingerprint, or null when it is unknown or revoked.</summary>
    public async Task<(long OrganisationId, string Mode)?> FindApiKeyAsync(string fingerprint, CancellationToken cancellationToken)
    {
        var lookup = await tables.ApiKeys.FindAsync(fingerprint, ApiKeyLookupRow, cancellationToken: cancellationToken);
        return lookup is null ? null : (lookup.GetInt64("OrganisationId")!.Value, lookup.GetString("Mode"));
    }

    public static ApiException Busy() =>
        ApiException.Conflict("The data changed while this request was being applied; please retry.");
}
