using System.Globalization;

namespace Gateway.Schedules;

/// <summary>How often a schedule charges, as the documents name it.</summary>
public static class Intervals
{
    public const string OnceOff = "once_off";
    public const string Daily = "daily";
    public const string Weekly = "weekly";
    public const string Monthly = "monthly";

    public static readonly IReadOnlyList<string> All = [OnceOff, Daily, Weekly, Monthly];
}

/// <summary>
/// Charge dates and the instants they fall due. Dates are calendar dates in the organisation's time zone; a date's
/// charge falls due at <see cref="ScheduleOptions.ChargeTime"/> local time that day. Monthly schedules count every
/// month from the start date, so one started on the 31st charges on the last day of shorter months and on the 31st
/// again after them (never drifting to the 28th).
/// </summary>
public static class ScheduleCalendar
{
    public const string DateFormat = "dd-MM-yyyy";

    /// <summary>Stored and compared as yyyy-MM-dd, so that string order is date order in table filters.</summary>
    public const string StoredFormat = "yyyy-MM-dd";

    public static DateOnly DateOf(string interval, DateOnly start, int index) => interval switch
    {
        Intervals.Daily => start.AddDays(index),
        Intervals.Weekly => start.AddDays(7 * index),
        Intervals.Monthly => start.AddMonths(index), // DateOnly.AddMonths clamps to the month's last day
        _ => start,
    };

    /// <summary>
    /// The UTC instant at which <paramref name="date"/>'s charge falls due in <paramref name="zone"/>. A local time
    /// that does not exist that day (the clocks jumped over it) is read with the offset before the jump, so the
    /// charge runs as many hours after midnight as on any other day; one that exists twice (the clocks went back)
    /// is the earlier of the two.
    /// </summary>
    public static DateTimeOffset DueAt(DateOnly date, TimeOnly chargeTime, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(chargeTime, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local))
        {
            offset = zone.GetUtcOffset(local.AddHours(-12));
        }
        else if (zone.IsAmbiguousTime(local))
        {
            offset = zone.GetAmbiguousTimeOffsets(local).Max();
        }
        else
        {
            offset = zone.GetUtcOffset(local);
        }
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    public static string Show(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static string Store(DateOnly date) => date.ToString(StoredFormat, CultureInfo.InvariantCulture);

    public static DateOnly Parse(string stored) => DateOnly.ParseExact(stored, StoredFormat, CultureInfo.InvariantCulture);

    public static DateOnly Today(DateTimeOffset now, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
}
