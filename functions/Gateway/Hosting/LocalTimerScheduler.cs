using Microsoft.Azure.Functions.Worker;

namespace Gateway.Hosting;

/// <summary>
/// Locally, the timer trigger the Functions host would provide: each timer function fires at its NCRONTAB
/// occurrences in UTC. The next occurrence is computed after a run ends, so a run that overruns its interval skips
/// the occurrences it overlapped instead of stacking them (as the host's singleton timer does). Occurrences missed
/// while the process was not running are not made up: the host does that once at start-up through its schedule
/// monitor in blob storage, which a local run has no need of; work that must not be missed finds what is due itself.
/// Waiting goes through the <see cref="TimeProvider"/>, so tests move the clock instead of sleeping.
/// </summary>
public sealed class LocalTimerScheduler(
    FunctionRegistry registry,
    FunctionInvoker invoker,
    TimeProvider time) : BackgroundService
{
    /// <summary>How late a firing may be before the function is told it is past due.</summary>
    private static readonly TimeSpan PastDueThreshold = TimeSpan.FromSeconds(5);

    /// <summary>Task.Delay cannot wait longer than about 49.7 days (a yearly schedule), so longer waits go in steps.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(registry.TimerFunctions.Select(f => RunScheduleAsync(f, stoppingToken)));

    private async Task RunScheduleAsync(TimerFunction function, CancellationToken stoppingToken)
    {
        DateTimeOffset? previous = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            // Task.Delay waits whole milliseconds, truncated, so it can end just before the due second. Searching from
            // the occurrence just run, not from such an early "now", keeps a quick run from firing it again.
            var from = previous > now ? previous.Value : now;
            var next = new DateTimeOffset(function.Schedule.GetNextOccurrence(from.UtcDateTime), TimeSpan.Zero);
            try
            {
                while (next - now > LongestWait)
                {
                    await Task.Delay(LongestWait, time, stoppingToken);
                    now = time.GetUtcNow();
                }
                if (next > now) await Task.Delay(next - now, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            var last = previous;
            previous = next;

            try
            {
                // As the host passes it: late or not, and the schedule around this firing.
                var timer = new TimerInfo
                {
                    IsPastDue = time.GetUtcNow() - next > PastDueThreshold,
                    ScheduleStatus = new ScheduleStatus
                    {
                        Last = last?.UtcDateTime ?? default,
                        Next = function.Schedule.GetNextOccurrence(next.UtcDateTime),
                        LastUpdated = time.GetUtcNow().UtcDateTime,
                    },
                };
                await invoker.TryRunTimerAsync(function, timer, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Logged by the invoker. As on the host, a failed timer is not retried: the next occurrence runs.
            }
        }
    }
}
