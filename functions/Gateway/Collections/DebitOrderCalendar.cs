using Microsoft.Extensions.Options;
using PublicHoliday;

namespace Gateway.Collections;

/// <summary>
/// South Africa's debit-order days: an action date on a Sunday or a public holiday moves to the next day that is
/// neither. The statutory holidays (Easter included, and the Monday after one that falls on a Sunday) come from the
/// PublicHoliday library; holidays the President declares for one year (election days) are data, in
/// <see cref="CollectionsOptions.ExtraHolidays"/>, so a new one needs a setting, not a release.
/// </summary>
public sealed class DebitOrderCalendar(IOptions<CollectionsOptions> options)
{
    private readonly SouthAfricaPublicHoliday _statutory = new();
    private readonly HashSet<DateOnly> _extra = [.. options.Value.ExtraHolidays];

    public bool IsHoliday(DateOnly date) =>
        _extra.Contains(date) || _statutory.IsPublicHoliday(date.ToDateTime(TimeOnly.MinValue));

    public bool IsBusinessDay(DateOnly date) => date.DayOfWeek != DayOfWeek.Sunday && !IsHoliday(date);

    /// <summary>The date itself when it is a business day, else the next one that is.</summary>
    public DateOnly ActionDate(DateOnly date)
    {
        while (!IsBusinessDay(date)) date = date.AddDays(1);
        return date;
    }

    /// <summary>The first business day after <paramref name="date"/>: when the bank answers a batch.</summary>
    public DateOnly NextBusinessDay(DateOnly date) => ActionDate(date.AddDays(1));
}
