using Microsoft.Azure.Functions.Worker;

namespace Gateway.Platform;

/// <summary>What every timer function does with its <see cref="TimerInfo"/>.</summary>
public static class TimerRuns
{
    /// <summary>
    /// A run fired later than scheduled (the app was stopped, or the previous run overran) says so: each timer
    /// function works through its whole backlog, so a late run catches up by itself, but an operator should know.
    /// </summary>
    public static void NoteIfLate(this ILogger logger, TimerInfo timer)
    {
        if (!timer.IsPastDue) return;
        logger.LogWarning("Timer fired late (last run {Last:o}); this run catches up", timer.ScheduleStatus?.Last);
    }
}
