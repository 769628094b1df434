using Gateway.Payments;
using Gateway.Testing;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Schedules;

/// <summary>A live acquirer whose first call hangs until released: a runner slower than its claim's lease.</summary>
public sealed class StallingAcquirer : IAcquirer
{
    private readonly SimulatedAcquirer _simulator = new();
    private int _calls;

    public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public List<string> Keys { get; } = [];

    public string Name => "Stalling";

    public async Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        lock (Keys) Keys.Add(charge.IdempotencyKey);
        if (Interlocked.Increment(ref _calls) == 1)
        {
            Stalled.SetResult();
            await Release.Task;
        }
        return await _simulator.ChargeCardAsync(charge, cancellationToken);
    }

    public Task<AcquirerResult> CompleteChallengeAsync(string reference, bool passed, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> CaptureAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> VoidAsync(string reference, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> RefundAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> ChargeEftAsync(EftCharge charge, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<CardEnquiry> EnquireCardAsync(CardDetails card, CancellationToken cancellationToken) => throw new NotSupportedException();
}

public sealed class StallingRunnerApp : ScheduleApp
{
    public StallingRunnerApp()
    {
        Clock = new ManualClock(new DateTimeOffset(2027, 9, 1, 8, 0, 0, TimeSpan.Zero));
        Settings["Storage:Retry:BaseDelay"] = "00:00:00";
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
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "once_off", "9.99", "01-09-2027", 1));

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
}
