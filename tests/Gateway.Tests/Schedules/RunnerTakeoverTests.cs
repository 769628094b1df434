using Gateway.Payments;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Schedules;

/// <summary>A live acquirer whose next call after <see cref="Arm"/> hangs until released: a runner caught mid-charge.</summary>
public sealed class StallingAcquirer : CardOnlyAcquirer
{
    private readonly SimulatedAcquirer _simulator = new();
    private int _armed;

    public TaskCompletionSource Stalled { get; private set; } = new();
    public TaskCompletionSource Release { get; private set; } = new();
    public List<string> Keys { get; } = [];

    public override string Name => "Stalling";

    public void Arm()
    {
        Stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Keys) Keys.Clear();
        Volatile.Write(ref _armed, 1);
    }

    public override async Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        lock (Keys) Keys.Add(charge.IdempotencyKey);
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Stalled.SetResult();
            await Release.Task;
        }
        return await _simulator.ChargeCardAsync(charge, cancellationToken);
    }

}

public sealed class StallingRunnerApp : ScheduleApp
{
    public StallingRunnerApp()
    {
        Clock = new ManualClock(new DateTimeOffset(2027, 9, 1, 8, 0, 0, TimeSpan.Zero));
    }

    public StallingAcquirer Acquirer { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IAcquirer>(Acquirer);
}

public sealed class RunnerTakeoverTests(StallingRunnerApp app) : IClassFixture<StallingRunnerApp>
{
    [Fact]
    public async Task ARunnerSlowerThanItsLeaseLosesToTheRunnerThatResumedItsClaimAndTheOccurrenceIsBookedOnce()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var card = await app.CardAsync(merchant, "slow");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "once_off", "9.99", ScheduleKit.Today(app.Clock!), 1));

        app.Acquirer.Arm();
        var slow = Task.Run(app.RunSchedulesAsync);
        await app.Acquirer.Stalled.Task;
        app.Clock!.Advance(TimeSpan.FromMinutes(3));
        var resumed = await app.RunSchedulesAsync();
        Assert.Equal(1, resumed.Occurrences);

        app.Acquirer.Release.SetResult();
        Assert.Equal(0, (await slow).Occurrences);
        var payment = Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));
        Assert.Equal((TransactionStatus.Complete, 999L), (payment.Status, payment.AmountMinor));
        // Both asked the acquirer, under the one key of the occurrence: one charge.
        Assert.Equal(2, app.Acquirer.Keys.Count);
        Assert.Single(app.Acquirer.Keys.Distinct());
        var occurrence = Assert.Single((await merchant.SchedulesAsync(card))[0].GetProperty("occurrences").EnumerateArray());
        Assert.Equal(payment.Id, occurrence.GetProperty("transaction_id").GetInt64());
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task AScheduleEndedWhileItsOccurrenceIsAtTheAcquirerStillBooksThatChargeAndNoMore(string change)
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var card = await app.CardAsync(merchant, "ended-" + change);
        var created = await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "4.00", ScheduleKit.Today(app.Clock!), 3));

        app.Acquirer.Arm();
        var running = Task.Run(app.RunSchedulesAsync);
        await app.Acquirer.Stalled.Task;
        var ended = change == "PUT"
            ? await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}", ScheduleKit.Schedule(0, "weekly", "8.00", ScheduleKit.Today(app.Clock!, days: 20), 1))
            : await merchant.Client.DeleteAsync($"/api/v1/payment-schedule/id/{created[0].Text("id")}");
        await ended.JsonAsync(200);
        app.Acquirer.Release.SetResult();

        Assert.Equal(1, (await running).Occurrences);
        var booked = Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));
        Assert.Equal((TransactionStatus.Complete, 400L), (booked.Status, booked.AmountMinor));

        // The ended schedule's later dates are never charged.
        app.Clock!.Advance(TimeSpan.FromDays(3));
        await app.RunSchedulesAsync();
        Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));
    }

    [Fact]
    public async Task ACardDeletedWhileItsChargeIsAtTheAcquirerHasThatChargeBookedThenItsScheduleStopped()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var card = await app.CardAsync(merchant, "deleted-mid-charge");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "monthly", "11.00", ScheduleKit.Today(app.Clock!), 6));

        app.Acquirer.Arm();
        var running = Task.Run(app.RunSchedulesAsync);
        await app.Acquirer.Stalled.Task;
        await (await merchant.Client.DeleteAsync($"/api/v1/customer-token/{card}")).JsonAsync(200);
        // The card's row stays while its charge is in flight.
        Assert.NotNull(await app.Service<Gateway.Payments.CardVault>().GetStoredAsync(merchant.Id, card, CancellationToken.None));
        app.Acquirer.Release.SetResult();

        Assert.Equal(2, (await running).Occurrences);
        var made = await app.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal([(TransactionStatus.Complete, 1100L), (TransactionStatus.Failed, 1100L)], made.Select(t => (t.Status, t.AmountMinor)));
        Assert.Equal("Card token deleted: payment schedule stopped", made[1].Reason);
        Assert.Equal("stopped", (await merchant.SchedulesAsync(card))[0].Text("status"));
        Assert.Null(await app.Service<Gateway.Payments.CardVault>().GetStoredAsync(merchant.Id, card, CancellationToken.None));
    }

}
