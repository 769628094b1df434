using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Schedules;

/// <summary>One of several gateway instances sharing tables, queue, clock and the acquirer's ledger, each with its own faults.</summary>
public sealed class RunnerApp : GatewayApp
{
    public RunnerApp(string prefix, ManualClock clock, AcquirerLedger ledger)
    {
        Clock = clock;
        Faults = new FaultPlan();
        Ledger = ledger;
        Settings["Storage:TablePrefix"] = prefix;
        Settings["Payments:EventQueue"] = prefix.ToLowerInvariant();
        Settings["Schedules:CatchUpWindow"] = "30.00:00:00";
    }

    public FaultPlan Faults { get; }
    public AcquirerLedger Ledger { get; }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<IAcquirer>(new CrashingAcquirer(Ledger, Faults));
        new CrashingStorage(Faults).AddTo(services);
    }
}

/// <summary>Three gateway instances over the same storage, as a scaled-out Function App runs them.</summary>
public sealed class RunnerCluster : IAsyncLifetime
{
    public ManualClock Clock { get; } = new(new DateTimeOffset(2027, 9, 1, 8, 0, 0, TimeSpan.Zero));
    public AcquirerLedger Ledger { get; } = new();
    public List<RunnerApp> Apps { get; } = [];

    public async Task InitializeAsync()
    {
        var prefix = "race" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 3; i++)
        {
            var app = new RunnerApp(prefix, Clock, Ledger);
            await app.InitializeAsync();
            Apps.Add(app);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var app in Apps) await app.DisposeAsync();
    }
}

public sealed class ConcurrentRunnerTests(RunnerCluster cluster) : IClassFixture<RunnerCluster>
{
    private const int Cards = 20;
    private const int SchedulesPerCard = 5;
    private const int Days = 10;

    [Fact]
    public async Task ThreeRunnersCrashingAtEveryStepChargeEachOfAThousandOccurrencesExactlyOnce()
    {
        var setup = cluster.Apps[0];
        using var merchant = await setup.MerchantAsync(mode: "live");
        var scheduleIds = new List<long>();
        for (var c = 0; c < Cards; c++)
        {
            var card = await setup.CardAsync(merchant, $"race-card-{c}");
            var fields = Enumerable.Range(0, SchedulesPerCard).SelectMany(s => ScheduleKit.Schedule(s, "daily", $"{c + 1}.{s:D2}", "01-09-2027", Days)).ToArray();
            scheduleIds.AddRange((await merchant.ScheduleAsync(card, fields)).EnumerateArray().Select(s => s.GetProperty("id").GetInt64()));
        }
        var occurrences = scheduleIds.Count * Days;
        Assert.Equal(1000, occurrences);

        // Every occurrence is due: the last on 10 September at 06:00 local.
        cluster.Clock.Advance(TimeSpan.FromDays(Days));
        foreach (var app in cluster.Apps) app.Faults.Enabled = true;
        var rounds = 0;
        while (await CountAsync(setup, merchant.Id, "occ-") < occurrences)
        {
            Assert.True(++rounds <= 60, $"Not all occurrences were charged after {rounds - 1} rounds of three runners.");
            await Task.WhenAll(cluster.Apps.Select(app => Task.Run(app.RunSchedulesAsync)));
            // Lets the claims of runners that "died" lapse, so the next round resumes them.
            cluster.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        }
        foreach (var app in cluster.Apps) app.Faults.Enabled = false;

        // Every kind of failure happened, in every step of the protocol.
        var injected = cluster.Apps.SelectMany(a => a.Faults.Injected).GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Sum(f => f.Value));
        foreach (var fault in new[] { "before the acquirer", "after the acquirer", "write crash", "write answer lost", "commit crash", "commit answer lost", "queue send crash" })
        {
            Assert.True(injected.GetValueOrDefault(fault) > 0, $"No '{fault}' was injected: {string.Join(", ", injected)}");
        }

        // Money: the acquirer took exactly one charge per occurrence, under the occurrence's own key.
        var expectedKeys = scheduleIds.SelectMany(id => Enumerable.Range(0, Days).Select(i => $"sched-{merchant.Id}-{id}-{i}")).ToHashSet();
        Assert.Equal(expectedKeys, cluster.Ledger.Charged.Keys.ToHashSet());
        Assert.True(cluster.Ledger.Calls > occurrences, "Resumed claims should have asked the acquirer again under the same keys.");

        // Records: one approved transaction per occurrence, each with its outbox event, and every schedule done.
        var payments = await setup.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal(occurrences, payments.Count);
        Assert.All(payments, t => Assert.Equal(TransactionStatus.Complete, t.Status));
        Assert.Equal(cluster.Ledger.Charged.Values.Sum(), payments.Sum(t => t.AmountMinor));
        Assert.Equal(occurrences, await CountAsync(setup, merchant.Id, "evt-"));
        var store = setup.Service<ScheduleStore>();
        var schedules = await store.ListAsync(merchant.Id, null, CancellationToken.None);
        Assert.All(schedules, s => Assert.Equal((ScheduleStates.Completed, Days, (OccurrenceClaim?)null), (s.State, s.Next, s.Claim)));
        var occurrenceTransactions = new List<long>();
        foreach (var s in schedules) occurrenceTransactions.AddRange((await store.OccurrencesAsync(merchant.Id, s.Id, CancellationToken.None)).Select(o => o.TransactionId));
        Assert.Equal(payments.Select(t => t.Id).Order(), occurrenceTransactions.Order());
    }

    private static async Task<int> CountAsync(GatewayApp app, long organisationId, string rowPrefix)
    {
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), rowPrefix);
        var count = 0;
        await foreach (var _ in app.Service<GatewayTables>().Payments.QueryAsync<TableEntity>(filter, select: ["RowKey"])) count++;
        return count;
    }
}
