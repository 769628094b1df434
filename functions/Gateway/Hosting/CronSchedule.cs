using System.Globalization;

namespace Gateway.Hosting;

/// <summary>
/// NCRONTAB as the Functions timer trigger reads it: <c>{second} {minute} {hour} {day} {month} {day-of-week}</c>
/// (a 5-field form without seconds is also accepted), evaluated in UTC. Fields take <c>*</c>, numbers, ranges
/// <c>a-b</c>, steps <c>*/n</c> and <c>a-b/n</c>, lists, and three-letter month and day names. As in NCrontab, a
/// time matches only when both the day of month and the day of week match (Sunday is 0).
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] _seconds, _minutes, _hours, _days, _months, _weekdays;

    private CronSchedule(bool[] seconds, bool[] minutes, bool[] hours, bool[] days, bool[] months, bool[] weekdays) =>
        (_seconds, _minutes, _hours, _days, _months, _weekdays) = (seconds, minutes, hours, days, months, weekdays);

    public static CronSchedule Parse(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 5) fields = ["0", .. fields];
        if (fields.Length != 6)
        {
            throw new FormatException($"'{expression}' is not an NCRONTAB expression: expected 6 fields (or 5), found {fields.Length}.");
        }
        return new CronSchedule(
            ParseField(fields[0], 0, 59, null, "second"),
            ParseField(fields[1], 0, 59, null, "minute"),
            ParseField(fields[2], 0, 23, null, "hour"),
            ParseField(fields[3], 1, 31, null, "day"),
            ParseField(fields[4], 1, 12, MonthNames, "month"),
            ParseField(fields[5], 0, 6, DayNames, "day of week"));
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, in UTC; null if there is none within 30 years,
    /// which covers every real date (the weekday calendar repeats within 28 years, leap days included) but 31 February.
    /// </summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        var utc = after.UtcDateTime;
        var t = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, utc.Second, DateTimeKind.Utc).AddSeconds(1);
        var limit = t.AddYears(30);
        while (t < limit)
        {
            if (!_months[t.Month]) { t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1); continue; }
            if (!_days[t.Day] || !_weekdays[(int)t.DayOfWeek]) { t = t.Date.AddDays(1); continue; }
            if (!_hours[t.Hour]) { t = t.Date.AddHours(t.Hour + 1); continue; }
            if (!_minutes[t.Minute]) { t = t.Date.AddHours(t.Hour).AddMinutes(t.Minute + 1); continue; }
            if (!_seconds[t.Second]) { t = t.AddSeconds(1); continue; }
            return new DateTimeOffset(t);
        }
        return null;
    }

    private static bool[] ParseField(string field, int min, int max, string[]? names, string what)
    {
        var allowed = new bool[max + 1];
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => (r, n),
                _ => throw Invalid(field, what),
            };
            int from, to;
            if (range == "*")
            {
                (from, to) = (min, max);
            }
            else if (range.Split('-') is [var a, var b])
            {
                (from, to) = (Value(a, min, max, names, field, what), Value(b, min, max, names, field, what));
            }
            else
            {
                from = Value(range, min, max, names, field, what);
                to = step > 1 ? max : from;
            }
            if (from > to) throw Invalid(field, what);
            for (var v = from; v <= to; v += step) allowed[v] = true;
        }
        return allowed;
    }

    private static int Value(string text, int min, int max, string[]? names, string field, string what)
    {
        var index = names is null ? -1 : Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (index >= 0) return index + (names == MonthNames ? 1 : 0);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        throw Invalid(field, what);
    }

    private static FormatException Invalid(string field, string what) => new($"'{field}' is not a valid {what} field.");
}
