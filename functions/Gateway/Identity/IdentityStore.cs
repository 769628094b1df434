using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// Reads and writes of organisations, users and logins. Rules live in the services; this is only where rows
/// are and how they are written together.
/// </summary>
public sealed class IdentityStore(GatewayTables tables, TimeProvider time)
{
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

    public static ApiException Busy() =>
        ApiException.Conflict("The data changed while this request was being applied; please retry.");
}
