using System.Globalization;
using Gateway.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>NCRONTAB as the Functions timer trigger reads it, in UTC. 2026-03-01 is a Sunday.</summary>
public sealed class CronScheduleTests
{
    [Theory]
    // 6 fields: seconds first
    [InlineData("*/10 * * * * *", "2026-03-01T00:00:05Z", "2026-03-01T00:00:10Z")]
    [InlineData("*/10 * * * * *", "2026-03-01T00:00:10Z", "2026-03-01T00:00:20Z")]
    [InlineData("*/10 * * * * *", "2026-03-01T00:00:09.9999999Z", "2026-03-01T00:00:10Z")]
    [InlineData("*/10 * * * * *", "2026-03-01T00:00:59.5Z", "2026-03-01T00:01:00Z")]
    [InlineData("0 17 * * * *", "2026-03-01T10:17:00Z", "2026-03-01T11:17:00Z")]
    [InlineData("0 17 * * * *", "2026-03-01T23:17:00Z", "2026-03-02T00:17:00Z")]
    // 5 fields: minutes first, second 0
    [InlineData("*/15 * * * *", "2026-03-01T00:07:30Z", "2026-03-01T00:15:00Z")]
    [InlineData("*/15 * * * *", "2026-03-01T00:15:00Z", "2026-03-01T00:30:00Z")]
    [InlineData("0 9 * * *", "2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z")]
    // ranges, steps within ranges, a start with a step, lists
    [InlineData("0 0 9-17 * * *", "2026-03-01T17:00:00Z", "2026-03-02T09:00:00Z")]
    [InlineData("0 0 9-17/4 * * *", "2026-03-01T09:00:00Z", "2026-03-01T13:00:00Z")]
    [InlineData("0 0 9-17/4 * * *", "2026-03-01T17:00:00Z", "2026-03-02T09:00:00Z")]
    [InlineData("5/20 * * * * *", "2026-03-01T00:00:25Z", "2026-03-01T00:00:45Z")]
    [InlineData("5/20 * * * * *", "2026-03-01T00:00:45Z", "2026-03-01T00:01:05Z")]
    [InlineData("0 5,35 * * * *", "2026-03-01T10:06:00Z", "2026-03-01T10:35:00Z")]
    [InlineData("0 5,35 * * * *", "2026-03-01T10:35:00Z", "2026-03-01T11:05:00Z")]
    [InlineData("0 0 0 1,15-16 * *", "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z")]
    // month and day names, any case; Sunday is 0
    [InlineData("0 0 0 1 JAN *", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 0 1 jan,Jul *", "2026-03-01T00:00:00Z", "2026-07-01T00:00:00Z")]
    [InlineData("0 0 12 * * MON", "2026-03-01T00:00:00Z", "2026-03-02T12:00:00Z")]
    [InlineData("0 0 8 * * MON-FRI", "2026-03-06T08:00:00Z", "2026-03-09T08:00:00Z")]
    [InlineData("0 0 0 * * 0", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z")]
    [InlineData("0 0 0 * * SAT", "2026-03-01T00:00:00Z", "2026-03-07T00:00:00Z")]
    // day of month AND day of week must both match (NCrontab), so Friday the 13th, not every Friday and every 13th
    [InlineData("0 0 0 13 * FRI", "2026-03-01T00:00:00Z", "2026-03-13T00:00:00Z")]
    [InlineData("0 0 0 13 * FRI", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z")]
    // month ends and leap years
    [InlineData("0 0 0 31 * *", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z")]
    [InlineData("0 0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z")]
    [InlineData("0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    // year rollover
    [InlineData("0 0 0 1 1 *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z")]
    [InlineData("* * * * * *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z")]
    [InlineData("59 59 23 31 12 *", "2026-12-31T23:59:59Z", "2027-12-31T23:59:59Z")]
    public void NextAfterIsTheFirstOccurrenceStrictlyAfter(string expression, string after, string expected)
    {
        var next = CronSchedule.Parse(expression).NextAfter(Time(after));

        Assert.Equal(Time(expected), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void AnOffsetTimeIsReadAsTheInstantItIsAndTheAnswerIsUtc()
    {
        var next = CronSchedule.Parse("0 0 1 * * *").NextAfter(DateTimeOffset.Parse("2026-03-01T02:00:00+02:00", CultureInfo.InvariantCulture));

        Assert.Equal(new DateTimeOffset(2026, 3, 1, 1, 0, 0, TimeSpan.Zero), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Theory]
    [InlineData("0 0 0 30 2 *")]
    [InlineData("0 0 0 31 4,6,9,11 *")]
    public void AScheduleThatNeverOccursHasNoNextOccurrence(string expression)
    {
        Assert.Null(CronSchedule.Parse(expression).NextAfter(Time("2026-03-01T00:00:00Z")));
    }

    [Theory]
    [InlineData("*/10 * * * * *")]
    [InlineData("0 17 * * * *")]
    [InlineData("0 0 0 29 2 *")]
    [InlineData("30 5,35 9-17 * * MON-FRI")]
    public void EveryNextOccurrenceIsStrictlyLaterThanTheLastAndMatchesWholeSeconds(string expression)
    {
        var schedule = CronSchedule.Parse(expression);
        var t = Time("2026-03-01T00:00:00Z");
        for (var i = 0; i < 15; i++)
        {
            var next = schedule.NextAfter(t)!.Value;
            Assert.True(next > t, $"{next:O} is not after {t:O}");
            Assert.Equal(0, next.Ticks % TimeSpan.TicksPerSecond);
            Assert.Equal(next, schedule.NextAfter(next.AddTicks(-1)));
            t = next;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("* * * *")] // 4 fields
    [InlineData("* * * * * * *")] // 7 fields
    [InlineData("60 * * * * *")]
    [InlineData("* 60 * * * *")]
    [InlineData("* * 24 * * *")]
    [InlineData("* * * 0 * *")]
    [InlineData("* * * 32 * *")]
    [InlineData("* * * * 0 *")]
    [InlineData("* * * * 13 *")]
    [InlineData("* * * * * 7")]
    [InlineData("*/0 * * * * *")]
    [InlineData("*/x * * * * *")]
    [InlineData("*/-1 * * * * *")]
    [InlineData("1/2/3 * * * * *")]
    [InlineData("* * 5-3 * * *")]
    [InlineData("* * * * DEC-JAN *")]
    [InlineData("* * * * * -1")]
    [InlineData("1,,2 * * * * *")]
    [InlineData("* * * * FOO *")]
    [InlineData("* * * * MON *")] // a day name in the month field
    [InlineData("* * * * * JAN")]
    [InlineData("a b c d e f")]
    public void AnInvalidExpressionIsAFormatException(string expression)
    {
        Assert.Throws<FormatException>(() => CronSchedule.Parse(expression));
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
