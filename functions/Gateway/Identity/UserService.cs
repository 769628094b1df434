using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// Creating and changing users. Usernames are claimed through their login row before the user is written; every
/// read-modify-write goes through ETags and is retried from the read when someone else got there first. The
/// organisation row keeps a count of administrators, changed in the same transaction as the user, so that no
/// sequence of concurrent requests can leave an organisation without one.
///
/// Once a username is claimed, the writes that follow are not cancelled by the client going away: a create either
/// finishes or gives the username back, never leaves a user without a login or a login without a user for longer
/// than a claim's lease.
/// </summary>
public sealed class UserService(IdentityStore store, IdAllocator ids, PasswordHasher passwords, TimeProvider time)
{
    public const string Sequence = "user";

    public async Task<User> CreateAsync(Organisation organisation, UserFields fields, CancellationToken cancellationToken)
    {
        var username = fields.Username ?? throw ApiException.BadRequest(fields.Form.FieldName("username"), "is required.");
        var role = fields.Role ?? throw ApiException.BadRequest(fields.Form.FieldName("role"), "is required.");
        var user = NewUser(await ids.NextAsync(Sequence, cancellationToken), organisation.Id, username, role, fields);

        await ClaimAsync(fields.Form.FieldName("username"), user, cancellationToken);
        return await WriteClaimedAsync(user, async () =>
        {
            await IdentityStore.UntilCommittedAsync(async () =>
            {
                List<TableTransactionAction> operations = [TableActions.Insert(user.ToEntity())];
                if (role == Roles.Administrator)
                {
                    operations.Add(TableActions.Replace((organisation with { Administrators = organisation.Administrators + 1 }).ToEntity(), organisation.ETag));
                }
                if (await store.CommitAsync(operations, CancellationToken.None) || await ExistsAsync(user)) return user;
                organisation = await store.GetOrganisationAsync(organisation.Id, CancellationToken.None)
                    ?? throw ApiException.NotFound("Organisation not found.");
                return null;
            });
        });
    }

    /// <summary>A platform operator (no organisation), for bootstrapping a deployment; operators create organisations.</summary>
    public async Task<User> CreateOperatorAsync(string username, string password, CancellationToken cancellationToken)
    {
        var user = new User(await ids.NextAsync(Sequence, cancellationToken), null, username, Roles.Operator, passwords.Hash(password),
            null, null, null, null, null, Services: [], CredentialVersion: 0, Created: time.GetUtcNow());
        await ClaimAsync("username", user, cancellationToken);
        return await WriteClaimedAsync(user, async () =>
        {
            if (!await store.CommitAsync([TableActions.Insert(user.ToEntity())], CancellationToken.None) && !await ExistsAsync(user))
            {
                throw new InvalidOperationException($"User {user.Id} could not be written.");
            }
        });
    }

    /// <summary>A new user row (not yet stored); the password, if any, is hashed here.</summary>
    public User NewUser(long id, long? organisationId, string username, string role, UserFields fields) => new(
        id, organisationId, username, role,
        fields.Password is { } password ? passwords.Hash(password) : null,
        fields.Name, fields.Lastname, fields.Email, fields.ContactNumber, fields.Extension,
        Services: [], CredentialVersion: 0, Created: time.GetUtcNow());

    /// <summary>Claims the user's username, or answers 409 (naming <paramref name="field"/>) when another user has it.</summary>
    public async Task ClaimAsync(string field, User user, CancellationToken cancellationToken)
    {
        if (!await store.ClaimUsernameAsync(user, cancellationToken))
        {
            throw ApiException.Conflict($"{field}: \"{user.Username}\" is already taken.");
        }
    }

    /// <summary>
    /// Runs the writes of a user whose username is claimed. If they fail and the user's row is not there, the
    /// username is given back; if the row is there, an earlier attempt landed and the user exists.
    /// </summary>
    public async Task<User> WriteClaimedAsync(User user, Func<Task> write)
    {
        try
        {
            await write();
            return user;
        }
        catch
        {
            if (!await ExistsAsync(user)) await store.ReleaseUsernameAsync(user.Username, user, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Applies the fields that were sent; fields not sent keep their values.</summary>
    public async Task<User> UpdateAsync(long organisationId, long userId, UserFields fields, CancellationToken cancellationToken)
    {
        fields.RefuseBlankRequired();
        // Hash once, outside the retry loop: it is the expensive part.
        var passwordHash = fields.Password is { } password ? passwords.Hash(password) : null;

        return await IdentityStore.UntilCommittedAsync(async () =>
        {
            var user = await store.GetUserAsync(organisationId, userId, cancellationToken) ?? throw UserNotFound();
            var updated = user with
            {
                Username = fields.Username ?? user.Username,
                Role = fields.Role ?? user.Role,
                PasswordHash = passwordHash ?? user.PasswordHash,
                CredentialVersion = passwordHash is null ? user.CredentialVersion : user.CredentialVersion + 1,
                Name = fields.Sent("name") ? fields.Name : user.Name,
                Lastname = fields.Sent("lastname") ? fields.Lastname : user.Lastname,
                Email = fields.Sent("email") ? fields.Email : user.Email,
                ContactNumber = fields.Sent("contact_number") ? fields.ContactNumber : user.ContactNumber,
                Extension = fields.Sent("extension") ? fields.Extension : user.Extension,
            };

            List<TableTransactionAction> operations = [TableActions.Replace(updated.ToEntity(), user.ETag)];
            var administratorsDelta = (updated.Role == Roles.Administrator ? 1 : 0) - (user.Role == Roles.Administrator ? 1 : 0);
            if (administratorsDelta != 0)
            {
                var organisation = await store.GetOrganisationAsync(organisationId, cancellationToken) ?? throw UserNotFound();
                if (organisation.Administrators + administratorsDelta < 1)
                {
                    throw ApiException.Conflict("This is the organisation's last administrator; make another user an administrator first.");
                }
                operations.Add(TableActions.Replace((organisation with { Administrators = organisation.Administrators + administratorsDelta }).ToEntity(), organisation.ETag));
            }

            var renamed = Login.Key(updated.Username) != Login.Key(user.Username);
            if (renamed) await ClaimAsync(fields.Form.FieldName("username"), updated, cancellationToken);
            var committed = await store.CommitAsync(operations, CancellationToken.None);
            // A refused commit may be our own earlier attempt that landed unanswered. Without a rename, running the
            // update again from the read is harmless; with one, the new login must not be given back if it did land.
            if (!committed && renamed)
            {
                committed = (await store.GetUserAsync(organisationId, userId, CancellationToken.None))?.Username == updated.Username;
            }
            if (committed)
            {
                if (renamed) await store.ReleaseUsernameAsync(user.Username, user, CancellationToken.None);
                return updated;
            }
            if (renamed) await store.ReleaseUsernameAsync(updated.Username, updated, CancellationToken.None);
            return null;
        });
    }

    public static ApiException UserNotFound() => ApiException.NotFound("User not found.");

    /// <summary>Whether the user's row exists: ids are never reused, so if it does, it is this user's.</summary>
    private async Task<bool> ExistsAsync(User user) =>
        await store.GetUserAsync(user.OrganisationId, user.Id, CancellationToken.None) is not null;
}
