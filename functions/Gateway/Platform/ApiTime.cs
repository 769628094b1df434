using System.Globalization;

namespace Gateway.Platform;

/// <summary>
/// Times as the v1 API shows them: <c>"2015-02-03 14:19:39"</c>, in the organisation's IANA time zone
/// (stored instants are UTC; zones are applied only at the edge).
/// </summary>
public static class ApiTime
{
    public const string Format = "yyyy-MM-dd HH:mm:ss";
    public const string DefaultZone = "Africa/Johannesburg";

    public static string Show(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString(Format, CultureInfo.InvariantCulture);

    public static string Show(DateTimeOffset instant, string zoneId) => Show(instant, Zone(zoneId));

    /// <summary>An IANA zone known to this machine's tz database; null otherwise (Windows names are refused).</summary>
    public static TimeZoneInfo? TryFindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId && zone.Id == id ? zone : null;

    public static TimeZoneInfo Zone(string id) =>
        TryFindZone(id) ?? throw new InvalidOperationException($"Stored time zone '{id}' is not known to this machine.");
}
