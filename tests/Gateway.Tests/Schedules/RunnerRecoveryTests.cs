using Gateway.Payments;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Schedules;

/// <summary>A live acquirer that takes the money and then "dies" once, when told to: the crash between charge and commit.</summary>
public sealed class DyingAcquirer : CardOnlyAcquirer
{
    private readonly SimulatedAcquirer _simulator = new();
    private int _dieAfterNext;

    public List<string> Keys { get; } = [];

    public override string Name => "Dying";

    public void DieAfterNextCharge() => Volatile.Write(ref _dieAfterNext, 1);

    public override async Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        lock (Keys) Keys.Add(charge.IdempotencyKey);
        var result = await _simulator.ChargeCardAsync(charge, cancellationToken);
        if (Interlocked.Exchange(ref _dieAfterNext, 0) == 1) throw new SimulatedCrash("after the acquirer took the money");
        return result;
    }

}

public sealed class RecoveryApp : ScheduleApp
{
    public RecoveryApp()
    {
        Clock = new ManualClock(new DateTimeOffset(2027, 9, 1, 8, 0, 0, TimeSpan.Zero));
    }

    public DyingAcquirer Acquirer { get; } = new();
    public StorageFaultPolicy Losses { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<IAcquirer>(Acquirer);
        Losses.AddTo(services);
    }
}

/// <summary>A resumed claim does what its claim decided, whatever has changed since: the card, the clock, the window.</summary>
public sealed class RunnerRecoveryTests(RecoveryApp app) : IClassFixture<RecoveryApp>
{
    [Fact]
    public async Task AChargeTakenBeforeACrashIsBookedOnResumeEvenOncePastTheCatchUpWindow()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var card = await app.CardAsync(merchant, "crash-then-outage");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "6.00", ScheduleKit.Today(app.Clock!), 2));

        app.Acquirer.DieAfterNextCharge();
        Assert.Equal(1, (await app.RunSchedulesAsync()).Failures);
        Assert.Empty(await app.ScheduledPaymentsAsync(merchant.Id));

        // The gateway is then down for eight days: the claimed occurrence is now older than the 7-day window.
        app.Clock!.Advance(TimeSpan.FromDays(8));
        await app.RunSchedulesAsync();
        var made = await app.ScheduledPaymentsAsync(merchant.Id);
        // The first was charged before the crash: booked as charged, under the one key it was charged with. The
        // second fell due seven days and more ago (not yet claimed): missed.
        Assert.Equal([(TransactionStatus.Complete, (string?)null), (TransactionStatus.Failed, made[1].Reason)], made.Select(t => (t.Status, t.Reason)));
        Assert.StartsWith("Missed", made[1].Reason);
        Assert.Single(app.Acquirer.Keys.Distinct(), k => k.StartsWith($"sched-{merchant.Id}-", StringComparison.Ordinal) && k.EndsWith("-0", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Acquirer.Keys, k => k.EndsWith("-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeletingACardWhoseStopClaimLostItsAnswerNeverChargesIt()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var card = await app.CardAsync(merchant, "lost-stop");
        var schedule = await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "monthly", "30.00", ScheduleKit.Today(app.Clock!, days: 10), 3));
        var keysBefore = app.Acquirer.Keys.Count;

        // The stop's claim lands but its answer is lost: the delete moves on and leaves the claim to lapse.
        app.Losses.LoseNext("PUT", $"RowKey='sch-{long.Parse(schedule[0].Text("id")):D12}')");
        await (await merchant.Client.DeleteAsync($"/api/v1/customer-token/{card}")).JsonAsync(200);
        Assert.Equal(0, app.Losses.Remaining);

        app.Clock!.Advance(TimeSpan.FromMinutes(3));
        await app.RunSchedulesAsync();
        var stopped = Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));
        Assert.Equal((TransactionStatus.Failed, "Card token deleted: payment schedule stopped"), (stopped.Status, stopped.Reason));
        Assert.Equal(keysBefore, app.Acquirer.Keys.Count);
        Assert.Equal("stopped", (await merchant.SchedulesAsync(card))[0].Text("status"));
        Assert.Null(await app.Service<Gateway.Payments.CardVault>().GetStoredAsync(merchant.Id, card, CancellationToken.None));
    }

}
