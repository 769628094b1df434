namespace Gateway.Schedules;

/// <summary>Payment schedule settings, bound from <c>Schedules</c> and validated at start-up.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "Schedules";

    /// <summary>
    /// The local time (organisation's zone) at which a date's charge falls due; the runner, every minute, charges it
    /// within a minute or so after. Early morning: before the cardholder's day, after the previous day's settlement.
    /// </summary>
    public TimeOnly ChargeTime { get; set; } = new(6, 0);

    /// <summary>
    /// Occurrences missed while the gateway was down are charged when it is back, oldest first, if they fell due
    /// within this window; older ones are recorded as failed ("missed") and never charged, so a long outage does
    /// not surprise a cardholder with a pile of old charges at once.
    /// </summary>
    public TimeSpan CatchUpWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a runner's claim on an occurrence holds (real time) before another runner resumes it.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Schedules a runner charges at once; each schedule's occurrences are charged in order, one at a time.</summary>
    public int Parallelism { get; set; } = 8;

    public const int MaxPerRequest = 25;
    public const int MaxActivePerCard = 50;
    public const int MaxCount = 1000;

    public static bool IsValid(ScheduleOptions o) =>
        o.CatchUpWindow >= TimeSpan.Zero && o.CatchUpWindow <= TimeSpan.FromDays(90)
        && o.ClaimLease >= TimeSpan.FromSeconds(5) && o.ClaimLease <= TimeSpan.FromHours(1)
        && o.Parallelism is >= 1 and <= 64;
}
