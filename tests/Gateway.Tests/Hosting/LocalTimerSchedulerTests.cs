using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Locally the app fires its timer functions itself, on a ManualClock here: each test starts its own app with one
/// timer function and moves the clock. The scheduler waits on exactly one clock timer while idle, none while a run
/// is in progress, so PendingTimers tells the test where it is.
/// </summary>
public sealed class LocalTimerSchedulerTests
{
    private const string EveryTenSeconds = "*/10 * * * * *";
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 5, TimeSpan.Zero);

    [Fact]
    public async Task ATimerRunsOnceAtEachOccurrenceAsTheClockReachesIt()
    {
        var clock = new ManualClock(Start);
        await using var app = await StartAsync(new TimerApp(EveryTenSeconds, typeof(RecordingTimer)) { Clock = clock }, clock);

        await AdvanceAsync(clock, TimeSpan.FromSeconds(5));
        await WaitIdleAsync(app, clock, runs: 1);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(9));
        Assert.Single(app.Recorder.Runs); // 00:00:19: the next occurrence is 00:00:20
        await AdvanceAsync(clock, TimeSpan.FromSeconds(1));
        await WaitIdleAsync(app, clock, runs: 2);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(10));
        await WaitIdleAsync(app, clock, runs: 3);

        Assert.All(app.Recorder.Runs, r => Assert.False(r.Timer!.IsPastDue));
    }

    [Fact]
    public async Task AClockThatJumpsPastSeveralOccurrencesRunsOnceMarkedPastDueThenKeepsTheSchedule()
    {
        var clock = new ManualClock(Start);
        await using var app = await StartAsync(new TimerApp(EveryTenSeconds, typeof(RecordingTimer)) { Clock = clock }, clock);

        await AdvanceAsync(clock, TimeSpan.FromSeconds(35)); // 00:00:40, missing 00:00:10, :20, :30 and :40
        await WaitIdleAsync(app, clock, runs: 1);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(10)); // 00:00:50
        await WaitIdleAsync(app, clock, runs: 2);

        Assert.Equal([true, false], app.Recorder.Runs.Select(r => r.Timer!.IsPastDue));
    }

    [Fact]
    public async Task ARunThatOverrunsItsIntervalNeverOverlapsAndResumesAtTheNextOccurrenceAfterItEnds()
    {
        var clock = new ManualClock(Start);
        await using var app = await StartAsync(new TimerApp(EveryTenSeconds, typeof(BlockingTimer)) { Clock = clock }, clock);
        app.Recorder.Block();
        try
        {
            await AdvanceAsync(clock, TimeSpan.FromSeconds(5)); // 00:00:10
            await Eventually.HoldsAsync(() => app.Recorder.Active == 1, "the first run is in progress");
            for (var i = 0; i < 3; i++) await AdvanceAsync(clock, TimeSpan.FromSeconds(10)); // 00:00:40
            Assert.Equal(0, clock.PendingTimers); // nothing is scheduled while the run is in progress
            Assert.Single(app.Recorder.Runs);
        }
        finally
        {
            app.Recorder.Release();
        }

        await WaitIdleAsync(app, clock, runs: 1); // no burst of the missed :20, :30 and :40
        await AdvanceAsync(clock, TimeSpan.FromSeconds(9));
        Assert.Single(app.Recorder.Runs);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(1)); // 00:00:50, the first occurrence after the run ended
        await WaitIdleAsync(app, clock, runs: 2);
        Assert.Equal(0, app.Recorder.Active);
        Assert.Equal(1, app.Recorder.MaxActive);
    }

    [Fact]
    public async Task AFailingRunIsLoggedAndTheScheduleGoesOn()
    {
        var clock = new ManualClock(Start);
        await using var app = await StartAsync(new TimerApp(EveryTenSeconds, typeof(ThrowingTimer)) { Clock = clock }, clock);

        await AdvanceAsync(clock, TimeSpan.FromSeconds(5));
        await WaitIdleAsync(app, clock, runs: 1);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(10));
        await WaitIdleAsync(app, clock, runs: 2);

        Assert.Equal(2, app.Logs.Lines.Count(l => l.Level == LogLevel.Error && l.Exception?.Contains("This timer always fails.") == true));
    }

    /// <summary>
    /// Task.Delay waits whole milliseconds, truncated, so a wait for the next whole second ends up to a millisecond
    /// early. A handler that is done before the due second must not have its occurrence fire a second time.
    /// </summary>
    [Fact]
    public async Task ATimerThatWakesUnderAMillisecondEarlyRunsItsOccurrenceOnce()
    {
        var start = Start.AddTicks(5000); // 00:00:05.0005: the wait for 00:00:10 is 4999.5 ms, so 4999 ms
        var clock = new ManualClock(start);
        await using var app = await StartAsync(new TimerApp(EveryTenSeconds, typeof(RecordingTimer)) { Clock = clock }, clock);

        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(4999)); // 00:00:09.9995: the timer for 00:00:10 fires
        await WaitIdleAsync(app, clock, runs: 1);
        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(1)); // 00:00:10.0005
        await WaitIdleAsync(app, clock, runs: 1);
        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(9999)); // 00:00:19.9995: the timer for 00:00:20 fires
        await WaitIdleAsync(app, clock, runs: 2);
        await AdvanceAsync(clock, TimeSpan.FromMilliseconds(1));
        await WaitIdleAsync(app, clock, runs: 2);
    }

    /// <summary>A yearly schedule waits longer than one Task.Delay can (about 49.7 days), so it must wait in steps.</summary>
    [Fact]
    public async Task AnOccurrenceMonthsAwayStillRunsOnTime()
    {
        var clock = new ManualClock(Start);
        await using var app = await StartAsync(new TimerApp("0 0 0 1 1 *", typeof(RecordingTimer)) { Clock = clock }, clock);
        var due = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

        await AdvanceAsync(clock, due - Start - TimeSpan.FromDays(1));
        await WaitIdleAsync(app, clock, runs: 0);
        await AdvanceAsync(clock, TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        await WaitIdleAsync(app, clock, runs: 0);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(1));
        await WaitIdleAsync(app, clock, runs: 1);

        Assert.False(Assert.Single(app.Recorder.Runs).Timer!.IsPastDue);
    }

    /// <summary>Starts the app (failing rather than hanging if its start-up never finishes) and waits until the scheduler waits.</summary>
    private static async Task<TimerApp> StartAsync(TimerApp app, ManualClock clock)
    {
        await Task.Run(app.InitializeAsync).WaitAsync(TimeSpan.FromSeconds(60)); // a hung start-up can't be disposed either
        try
        {
            await WaitIdleAsync(app, clock, runs: 0);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Moves the clock. Due timers fire inside Advance and the scheduler may carry on inline, so it runs on the thread
    /// pool with a deadline: a scheduler that never yields fails the test instead of hanging it.
    /// </summary>
    private static Task AdvanceAsync(ManualClock clock, TimeSpan by) =>
        Task.Run(() => clock.Advance(by)).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Waits until the handler has run this many times and the scheduler waits on the clock for the next occurrence.</summary>
    private static async Task WaitIdleAsync(HostingApp app, ManualClock clock, int runs)
    {
        await Eventually.HoldsAsync(() => clock.PendingTimers == 1 && app.Recorder.Active == 0 && app.Recorder.Runs.Count >= runs,
            $"the scheduler waits for the next occurrence after {runs} run(s)");
        Assert.Equal(runs, app.Recorder.Runs.Count);
    }
}
