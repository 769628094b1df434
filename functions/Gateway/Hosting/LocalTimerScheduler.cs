namespace Gateway.Hosting;

/// <summary>
/// Locally, the timer trigger the Functions host would provide: each timer function fires at its NCRONTAB
/// occurrences in UTC. The next occurrence is computed after a run ends, so a run that overruns its interval skips
/// the occurrences it overlapped instead of stacking them (as the host's singleton timer does). Waiting goes through
/// the <see cref="TimeProvider"/>, so tests move the clock instead of sleeping.
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => HostingSetup.UnderFunctionsHost(configuration)
        ? Task.CompletedTask
        : Task.WhenAll(registry.TimerFunctions.Select(f => RunScheduleAsync(f, CronSchedule.Parse(f.Schedule), stoppingToken)));

    private async Task RunScheduleAsync(TimerFunction function, CronSchedule schedule, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (schedule.NextAfter(now) is not { } next)
            {
                logger.LogWarning("Timer {Function} has no future occurrence of '{Schedule}'", function.Name, function.Schedule);
                return;
            }
            try
            {
                await Task.Delay(next - now, time, stoppingToken);
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
