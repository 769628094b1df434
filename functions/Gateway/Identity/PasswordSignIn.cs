namespace Gateway.Identity;

/// <summary>The outcome of a username and password: the user and organisation, or why not (and when to retry).</summary>
public sealed record SignInResult(User? User, Organisation? Organisation, string? Failure, TimeSpan? RetryAfter)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// A username and password checked the one way the gateway checks them, for basic auth and the console's sign-in
/// alike: the per-username throttle first, then the same storage reads and password work whether or not the user
/// exists, so neither timing nor answers tell which usernames do.
/// </summary>
public sealed class PasswordSignIn(IdentityStore store, PasswordHasher passwords, LoginThrottle throttle)
{
    public const string Invalid = "Invalid username or password.";

    public async Task<SignInResult> CheckAsync(string username, string password, CancellationToken cancellationToken)
    {
        // What cannot be a username (too long, odd characters) is looked up and throttled by its fingerprint: a valid
        // storage key, of bounded size.
        var name = Usernames.IsValid(username) ? username : Secrets.Fingerprint(username);
        var (slot, wait) = await throttle.BeginAsync(name, cancellationToken);
        if (slot is null) return new SignInResult(null, null, null, wait);
        bool? succeeded = null;
        try
        {
            var login = await store.GetLoginAsync(name, cancellationToken);
            var (user, organisation) = login is null
                ? (await store.GetUserAsync(null, 0, cancellationToken), null)
                : await LoadAsync(login.OrganisationId, login.UserId, cancellationToken);
            // A login row whose user no longer carries the username (an unfinished rename) does not sign anyone in.
            if (user is not null && Login.Key(user.Username) != Login.Key(name)) user = null;
            succeeded = passwords.Verify(password, user?.PasswordHash) && user is not null;
            // A user of an organisation that is gone signs nobody in.
            if (succeeded == true && user!.OrganisationId is not null && organisation is null) succeeded = false;
            return succeeded == true ? new SignInResult(user, organisation, null, null) : new SignInResult(null, null, Invalid, null);
        }
        finally
        {
            slot.End(succeeded);
        }
    }

    /// <summary>The user and their organisation, read in parallel: two point reads, one round trip of latency.</summary>
    public async Task<(User?, Organisation?)> LoadAsync(long? organisationId, long userId, CancellationToken cancellationToken)
    {
        var user = store.GetUserAsync(organisationId, userId, cancellationToken);
        var organisation = organisationId is { } id ? store.GetOrganisationAsync(id, cancellationToken) : Task.FromResult<Organisation?>(null);
        await Task.WhenAll(user, organisation);
        return (await user, await organisation);
    }
}
