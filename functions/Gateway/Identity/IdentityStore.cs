using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Identity;

/// <summary>
/// Reads and writes of organisations, users and logins. Rules live in the services; this is only where rows
/// are and how they are written together.
/// </summary>
public sealed class IdentityStore(GatewayTables tables)
{
    public async Task<Organisation?> GetOrganisationAsync(long id, CancellationToken cancellationToken)
    {
        var entity = await tables.Identity.GetAsync(IdentityKeys.Partition(id), Organisation.RowKey, ct: cancellationToken);
        return entity is null ? null : Organisation.FromEntity(id, entity);
    }

    public async Task<User?> GetUserAsync(long? organisationId, long userId, CancellationToken cancellationToken)
    {
        var entity = await tables.Identity.GetAsync(IdentityKeys.Partition(organisationId), IdentityKeys.UserRow(userId), ct: cancellationToken);
        return entity is null ? null : User.FromEntity(organisationId, entity);
    }

    /// <summary>An organisation's users in id order, from its partition.</summary>
    public async Task<IReadOnlyList<User>> ListUsersAsync(long organisationId, CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(IdentityKeys.Partition(organisationId))
            .And(TableFilter.RowKeyStartsWith(IdentityKeys.UserRowPrefix));
        var users = new List<User>();
        await foreach (var entity in tables.Identity.QueryAsync(new TableQuery(filter), cancellationToken))
        {
            users.Add(User.FromEntity(organisationId, entity));
        }
        return users;
    }

    public async Task<Login?> GetLoginAsync(string username, CancellationToken cancellationToken)
    {
        var entity = await tables.Logins.GetAsync(Login.Key(username), Login.RowKey, ct: cancellationToken);
        return entity is null ? null : Login.FromEntity(entity);
    }

    /// <summary>
    /// Claims a username for a user by inserting its login row. A row left behind by a crash between claiming and
    /// writing the user (or by a rename that did not finish) points at a user that does not carry that username;
    /// such a row is taken over with an ETag-guarded replace. Returns false when the username really is taken.
    /// </summary>
    public async Task<bool> ClaimUsernameAsync(Login claim, CancellationToken cancellationToken)
    {
        while (true)
        {
            if ((await tables.Logins.InsertAsync(claim.ToEntity(), cancellationToken)).IsSuccess) return true;

            var existing = await GetLoginAsync(claim.Username, cancellationToken);
            if (existing is null) continue;
            if (existing.UserId == claim.UserId && existing.OrganisationId == claim.OrganisationId) return true;

            var holder = await GetUserAsync(existing.OrganisationId, existing.UserId, cancellationToken);
            if (holder is not null && Login.Key(holder.Username) == Login.Key(claim.Username)) return false;

            if ((await tables.Logins.ReplaceAsync(claim.ToEntity(), existing.ETag!, cancellationToken)).IsSuccess) return true;
        }
    }

    /// <summary>Gives a username back, if it is still held by this user.</summary>
    public async Task ReleaseUsernameAsync(string username, long userId, CancellationToken cancellationToken)
    {
        var existing = await GetLoginAsync(username, cancellationToken);
        if (existing is not null && existing.UserId == userId)
        {
            await tables.Logins.DeleteAsync(Login.Key(username), Login.RowKey, existing.ETag!, cancellationToken);
        }
    }

    /// <summary>
    /// Writes rows of one organisation's partition atomically. False when an ETag no longer matched (or a row to
    /// insert already exists): someone else changed the data since it was read, so read again and retry.
    /// </summary>
    public async Task<bool> CommitAsync(IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken) =>
        (await tables.Identity.SubmitBatchAsync(operations, cancellationToken)).Succeeded;
}
