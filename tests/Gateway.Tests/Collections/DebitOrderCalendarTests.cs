using Gateway.Collections;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Collections;

/// <summary>The debit-order rule: a Sunday or a South African public holiday moves to the next day that is neither.</summary>
public sealed class DebitOrderCalendarTests
{
    private static readonly DebitOrderCalendar Calendar = new(Options.Create(new CollectionsOptions()));

    [Theory]
    [InlineData("2025-03-03", "2025-03-03")] // a Monday stays
    [InlineData("2025-03-01", "2025-03-01")] // a Saturday is a debit-order day
    [InlineData("2025-03-02", "2025-03-03")] // Sunday to Monday
    [InlineData("2024-03-29", "2024-03-30")] // Good Friday 2024 to the Saturday
    [InlineData("2024-03-31", "2024-04-02")] // Easter Day, then Family Day Monday, to Tuesday
    [InlineData("2025-04-18", "2025-04-19")] // Good Friday 2025
    [InlineData("2025-04-20", "2025-04-22")] // Easter Day 2025 over Family Day
    [InlineData("2026-04-03", "2026-04-04")] // Good Friday 2026
    [InlineData("2026-04-05", "2026-04-07")] // Easter Day 2026 over Family Day
    [InlineData("2027-03-28", "2027-03-30")] // Easter Day 2027 over Family Day
    [InlineData("2024-06-16", "2024-06-18")] // Youth Day on a Sunday: the Monday is a holiday too
    [InlineData("2025-04-27", "2025-04-29")] // Freedom Day on a Sunday
    [InlineData("2024-12-25", "2024-12-27")] // Christmas and the Day of Goodwill
    [InlineData("2024-05-29", "2024-05-30")] // the 2024 general election, declared for that year
    [InlineData("2026-01-01", "2026-01-02")] // New Year's Day
    [InlineData("2025-09-24", "2025-09-25")] // Heritage Day
    public void AnActionDateMovesToTheNextBusinessDay(string date, string moved) =>
        Assert.Equal(DateOnly.Parse(moved), Calendar.ActionDate(DateOnly.Parse(date)));

    [Fact]
    public void TheBankAnswersOnTheBusinessDayAfterTheActionDate()
    {
        Assert.Equal(new DateOnly(2024, 3, 30), Calendar.NextBusinessDay(new DateOnly(2024, 3, 28))); // over Good Friday
        Assert.Equal(new DateOnly(2024, 4, 2), Calendar.NextBusinessDay(new DateOnly(2024, 3, 30))); // over Easter
        Assert.Equal(new DateOnly(2025, 3, 1), Calendar.NextBusinessDay(new DateOnly(2025, 2, 28)));
    }

    [Fact]
    public void AHolidayDeclaredForOneYearIsData()
    {
        var declared = new DebitOrderCalendar(Options.Create(new CollectionsOptions { ExtraHolidays = [new(2027, 11, 3)] }));
        Assert.Equal(new DateOnly(2027, 11, 4), declared.ActionDate(new DateOnly(2027, 11, 3)));
        Assert.Equal(new DateOnly(2027, 11, 3), Calendar.ActionDate(new DateOnly(2027, 11, 3)));
    }
}
