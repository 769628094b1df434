using Azure;
using Azure.Data.Tables;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

public sealed class SessionOptions
{
    public const string Section = "Console";

    /// <summary>A console session ends after this long without a request.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>And after this long in any case, active or not.</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// A live console session: whose it is, and (for an operator, who belongs to no organisation) the organisation they
/// chose to look at.
/// </summary>
public sealed record ConsoleSession(string Id, long? OrganisationId, long UserId, int CredentialVersion, DateTimeOffset Created,
    DateTimeOffset LastSeen, long? ActingFor);

/// <summary>
/// The console's sign-in sessions, beside the bearer tokens in the Tokens table and kept the same way: the browser
/// holds 256 random bits, the table only their SHA-256. A session ends at sign-out, after
/// <see cref="SessionOptions.IdleTimeout"/> without use or <see cref="SessionOptions.AbsoluteTimeout"/> in all, or
/// when the user's password changes. Use is recorded at most once a minute, so browsing costs a write a minute,
/// not one per page.
/// </summary>
public sealed class SessionService(GatewayTables tables, IOptions<SessionOptions> options, TimeProvider time)
{
    private const string RowKey = "console-session";
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    public async Task<string> StartAsync(User user, CancellationToken cancellationToken)
    {
        var id = Secrets.Base64Url(32);
        var now = time.GetUtcNow();
        var entity = new TableEntity(Secrets.Fingerprint(id), RowKey)
        {
            ["UserId"] = user.Id, ["CredentialVersion"] = user.CredentialVersion, ["Created"] = now, ["LastSeen"] = now,
            // For the token sweep, which deletes rows past Expires: the latest a session can live.
            ["Expires"] = now + options.Value.AbsoluteTimeout,
        };
        if (user.OrganisationId is { } org) entity["OrganisationId"] = org;
        await tables.Tokens.InsertFreshAsync(entity, cancellationToken);
        return id;
    }

    /// <summary>The live session of this id (its use recorded), or null when unknown, ended or timed out.</summary>
    public async Task<ConsoleSession?> ResumeAsync(string id, CancellationToken cancellationToken)
    {
        if (id.Length != 43 || id.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')) return null;
        var entity = await tables.Tokens.FindAsync(Secrets.Fingerprint(id), RowKey, cancellationToken: cancellationToken);
        if (entity is null) return null;
        var now = time.GetUtcNow();
        var session = new ConsoleSession(id, entity.GetInt64("OrganisationId"), entity.GetInt64("UserId")!.Value,
            entity.GetInt32("CredentialVersion") ?? 0, entity.GetDateTimeOffset("Created")!.Value,
            entity.GetDateTimeOffset("LastSeen")!.Value, entity.GetInt64("ActingFor"));
        if (now - session.LastSeen >= options.Value.IdleTimeout || now - session.Created >= options.Value.AbsoluteTimeout)
        {
            await EndAsync(id, cancellationToken);
            return null;
        }
        if (now - session.LastSeen >= TouchEvery)
        {
            await tables.Tokens.TryMergeAsync(new TableEntity(entity.PartitionKey, RowKey) { ["LastSeen"] = now }, ETag.All,
                cancellationToken);
            session = session with { LastSeen = now };
        }
        return session;
    }

    /// <summary>An operator's session now looks at this organisation.</summary>
    public Task ActForAsync(string id, long organisationId, CancellationToken cancellationToken) =>
        tables.Tokens.TryMergeAsync(new TableEntity(Secrets.Fingerprint(id), RowKey) { ["ActingFor"] = organisationId }, ETag.All,
            cancellationToken);

    public Task EndAsync(string id, CancellationToken cancellationToken) =>
        tables.Tokens.TryDeleteAsync(Secrets.Fingerprint(id), RowKey, ETag.All, cancellationToken);
}
