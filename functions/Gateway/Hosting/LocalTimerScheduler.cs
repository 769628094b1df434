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
    TimeProvider time,
    IConfiguration configuration,
    ILogger<LocalTimerScheduler> logger) : BackgroundService
{
    /// <summary>How late a firing may be before the handler is told it is past due.</summary>
    private static readonly TimeSpan PastDueThreshold = TimeSpan.FromSeconds(5);

    /// <summary>Task.Delay cannot wait longer than about 49.7 days (a yearly schedule), so longer waits go in steps.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => HostingSetup.UnderFunctionsHost(configuration)
        ? Task.CompletedTask
        : Task.WhenAll(registry.TimerFunctions.Select(f => RunScheduleAsync(f, CronSchedule.Parse(f.Schedule), stoppingToken)));

    private async Task RunScheduleAsync(TimerFunction function, CronSchedule schedule, CancellationToken stoppingToken)
    {
        DateTimeOffset? previous = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            // Task.Delay waits whole milliseconds, truncated, so it can end just before the due second. Searching from
            // the occurrence just run, not from such an early "now", keeps a quick run from firing it again.
            if (schedule.NextAfter(previous > now ? previous.Value : now) is not { } next)
            {
                logger.LogWarning("Timer {Function} has no future occurrence of '{Schedule}'", function.Name, function.Schedule);
                return;
            }
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
            previous = next;

            try
            {
                var pastDue = time.GetUtcNow() - next > PastDueThreshold;
                await invoker.TryRunTimerAsync(function, new TimerTrigger(pastDue), stoppingToken);
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
