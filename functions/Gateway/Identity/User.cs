using Azure;
using Azure.Data.Tables;

namespace Gateway.Identity;

/// <summary>
/// A user: an organisation's administrator or agent, or a platform operator (no organisation). The row lives in
/// its organisation's partition; a <see cref="Login"/> row maps the username to it for sign-in.
/// <see cref="CredentialVersion"/> changes with the password and invalidates every token issued before.
/// </summary>
public sealed record User(
    long Id,
    long? OrganisationId,
    string Username,
    string Role,
    string? PasswordHash,
    string? Name,
    string? Lastname,
    string? Email,
    string? ContactNumber,
    string? Extension,
    IReadOnlyList<int> Services,
    int CredentialVersion,
    DateTimeOffset Created,
    ETag ETag = default)
{
    public TableEntity ToEntity()
    {
        var entity = new TableEntity(IdentityKeys.Partition(OrganisationId), IdentityKeys.UserRow(Id))
        {
            ["Username"] = Username,
            ["Role"] = Role,
            ["PasswordHash"] = PasswordHash,
            ["Name"] = Name,
            ["Lastname"] = Lastname,
            ["Email"] = Email,
            ["ContactNumber"] = ContactNumber,
            ["Extension"] = Extension,
            ["Services"] = string.Join(',', Services),
            ["CredentialVersion"] = CredentialVersion,
            ["Created"] = Created,
        };
        entity.ETag = ETag;
        return entity;
    }

    public static User FromEntity(long? organisationId, TableEntity e) => new(
        long.Parse(e.RowKey.AsSpan(IdentityKeys.UserRowPrefix.Length), System.Globalization.CultureInfo.InvariantCulture),
        organisationId,
        e.GetString("Username")!,
        e.GetString("Role")!,
        e.GetString("PasswordHash"),
        e.GetString("Name"),
        e.GetString("Lastname"),
        e.GetString("Email"),
        e.GetString("ContactNumber"),
        e.GetString("Extension"),
        [.. (e.GetString("Services") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)],
        e.GetInt32("CredentialVersion") ?? 0,
        e.GetDateTimeOffset("Created")!.Value,
        e.ETag);
}

/// <summary>
/// Username → user, one row per username (lower-cased) in the Logins table. Inserting it is what claims a username,
/// so uniqueness across the platform comes from the insert's 409, never from a check-then-insert. <see cref="Claimed"/>
/// dates the claim, so a claim whose request died can be told from one still being written.
/// </summary>
public sealed record Login(string Username, long? OrganisationId, long UserId, DateTimeOffset Claimed, ETag ETag = default)
{
    public const string RowKey = "login";

    public static string Key(string username) => username.ToLowerInvariant();

    public TableEntity ToEntity()
    {
        var entity = new TableEntity(Key(Username), RowKey) { ["UserId"] = UserId, ["Claimed"] = Claimed };
        if (OrganisationId is { } org) entity["OrganisationId"] = org;
        return entity;
    }

    public static Login FromEntity(TableEntity e) =>
        new(e.PartitionKey, e.GetInt64("OrganisationId"), e.GetInt64("UserId")!.Value,
            e.GetDateTimeOffset("Claimed") ?? DateTimeOffset.MinValue, e.ETag);

    /// <summary>Whether this row points at that user (the username's case aside).</summary>
    public bool IsFor(User user) => UserId == user.Id && OrganisationId == user.OrganisationId;
}
