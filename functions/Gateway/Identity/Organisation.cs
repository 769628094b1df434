using System.Text.Json;
using Gateway.Storage;

namespace Gateway.Identity;

public static class OrganisationModes
{
    /// <summary>Payments only ever reach the simulator.</summary>
    public const string Test = "test";
    public const string Live = "live";

    public static bool IsValid(string mode) => mode is Test or Live;
}

/// <summary>
/// A merchant organisation. Stored as the <c>organisation</c> row of its own partition in the Identity table,
/// next to its users, so that a change touching both (licences in use, the administrator count) is one
/// entity-group transaction.
/// </summary>
public sealed record Organisation(
    long Id,
    string Name,
    string Currency,
    string TimeZone,
    string Mode,
    string ApiSalt,
    DateTimeOffset Created,
    IReadOnlyDictionary<int, int> Licences,
    IReadOnlyDictionary<int, int> LicencesInUse,
    int Administrators,
    string? ETag = null)
{
    public const string RowKey = "organisation";

    public TableEntity ToEntity()
    {
        var entity = new TableEntity(IdentityKeys.Partition(Id), RowKey)
        {
            ["Name"] = Name,
            ["Currency"] = Currency,
            ["TimeZone"] = TimeZone,
            ["Mode"] = Mode,
            ["ApiSalt"] = ApiSalt,
            ["Created"] = Created,
            ["Licences"] = JsonSerializer.Serialize(Licences),
            ["LicencesInUse"] = JsonSerializer.Serialize(LicencesInUse),
            ["Administrators"] = Administrators,
        };
        entity.ETag = ETag;
        return entity;
    }

    public static Organisation FromEntity(long id, TableEntity e) => new(
        id,
        e.GetString("Name")!,
        e.GetString("Currency")!,
        e.GetString("TimeZone")!,
        e.GetString("Mode")!,
        e.GetString("ApiSalt")!,
        e.GetDateTimeOffset("Created")!.Value,
        JsonSerializer.Deserialize<Dictionary<int, int>>(e.GetString("Licences") ?? "{}")!,
        JsonSerializer.Deserialize<Dictionary<int, int>>(e.GetString("LicencesInUse") ?? "{}")!,
        e.GetInt32("Administrators") ?? 0,
        e.ETag);
}

/// <summary>Partition and row keys of the Identity table.</summary>
public static class IdentityKeys
{
    /// <summary>Operators belong to no organisation and live in the platform partition.</summary>
    public const string PlatformPartition = "platform";

    public static string Partition(long? organisationId) =>
        organisationId is { } id ? $"org-{id:D10}" : PlatformPartition;

    public static string UserRow(long userId) => $"user-{userId:D10}";
    public const string UserRowPrefix = "user-";
}
