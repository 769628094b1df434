using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Collections;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Schedules;
using Xunit.Abstractions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Collections;

/// <summary>
/// One of three gateway instances over the same tables and bank results queue, each dying at random in its storage
/// writes. Their bank results listeners are off: the test applies the queued answers itself, duplicates included.
/// </summary>
public sealed class SubmissionApp : GatewayApp
{
    public SubmissionApp(string prefix)
    {
        Settings["Storage:TablePrefix"] = prefix;
        Settings["Payments:EventQueue"] = prefix.ToLowerInvariant();
        Settings["Collections:BankResultsQueue"] = prefix.ToLowerInvariant() + "-bank";
        Settings["AzureWebJobs.CollectionsBankResults.Disabled"] = "true";
        // Batches of ten: a hundred of them, so each step of a batch (its commit, queue sends, bank writes) meets faults.
        Settings["Collections:BatchSize"] = "10";
    }

    // One in ten of each kind: enough single writes (bank, batch marks, counters) meet both of their faults in every run.
    public FaultPlan Faults { get; } = new() { Rate = 0.1 };

    protected override void ConfigureServices(IServiceCollection services) => new CrashingStorage(Faults).AddTo(services);
}

public sealed class SubmissionCluster : IAsyncLifetime
{
    public List<SubmissionApp> Apps { get; } = [];

    public async Task InitializeAsync()
    {
        var prefix = "subrace" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 3; i++)
        {
            var app = new SubmissionApp(prefix);
            await app.InitializeAsync();
            Apps.Add(app);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var app in Apps) await app.DisposeAsync();
    }
}

public sealed class ConcurrentSubmissionTests(SubmissionCluster cluster, ITestOutputHelper output)
    : IClassFixture<SubmissionCluster>
{
    private const int Mandates = 10;
    private const int PaymentsPerMandate = 10;
    private const int Weeks = 10;

    [Fact]
    public async Task ThreeRunnersCrashingAtEveryStepBookAndSubmitEachOfAThousandDebitsExactlyOnce()
    {
        var setup = cluster.Apps[0];
        using var merchant = await setup.CollectionsMerchantAsync();
        await merchant.ClockAsync("2027-09-01 08:00:00");
        var payments = new List<string>();
        for (var m = 0; m < Mandates; m++)
        {
            var mandate = await merchant.DebtorAsync(m % 3 == 0 ? "1000000002" : "1000000000", "D" + m);
            var created = await Task.WhenAll(Enumerable.Range(0, PaymentsPerMandate).Select(p =>
                merchant.PaymentAsync(mandate, $"{m + 1}.{p:D2}", "weekly", "2027-09-01", $"RACE-{m}-{p}")));
            payments.AddRange(created.Select(p => p.Text("id")));
        }
        const int debits = Mandates * PaymentsPerMandate * Weeks;
        Assert.Equal(1000, debits);

        // Every Wednesday's debit is due, the tenth on 3 November.
        await merchant.ClockAsync("2027-11-03 08:00:00");
        foreach (var app in cluster.Apps) app.Faults.Enabled = true;
        for (var rounds = 1; !await SettledAsync(setup, merchant.Id, debits); rounds++)
        {
            Assert.True(rounds <= 200, $"Not everything was booked and submitted after {rounds - 1} rounds of three runners.");
            var runs = await Task.WhenAll(cluster.Apps.Select(app => Task.Run(app.RunSubmissionAsync)));
            output.WriteLine($"Round {rounds}: " + string.Join("; ", runs.Select(r => $"{r.Booked} booked, {r.Submitted} submitted, " +
                $"{r.Answered} answers queued, {r.Failures} failed")));
        }
        foreach (var app in cluster.Apps) app.Faults.Enabled = false;
        var injected = cluster.Apps.SelectMany(a => a.Faults.Injected).GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Sum(f => f.Value));
        output.WriteLine("Injected: " + string.Join(", ", injected.Select(f => $"{f.Key} {f.Value}")));
        foreach (var fault in new[] { "write crash", "write answer lost", "commit crash", "commit answer lost", "queue send crash" })
        {
            Assert.True(injected.GetValueOrDefault(fault) > 0, $"No '{fault}' was injected: {string.Join(", ", injected)}");
        }

        // Booked: one transaction per payment and week, each submitted once, in one batch.
        var transactions = await RowsAsync<DebitTransaction>(setup, merchant.Id, CollectionsIds.Transaction);
        Assert.Equal(debits, transactions.Count);
        Assert.Equal(debits, transactions.Select(t => (t.PaymentId, t.Occurrence)).Distinct().Count());
        Assert.All(transactions, t => Assert.Single(t.SubmissionData));
        Assert.Equal(debits, await CountAsync(setup, merchant.Id, "cocc-"));
        Assert.All(await RowsAsync<CollectionPayment>(setup, merchant.Id, CollectionsIds.Payment),
            p => Assert.Equal((CollectionStates.Active, Weeks), (p.Status, p.Next)));

        // The bank's answers, as queued (some twice, where a run died before acknowledging them), then the last
        // business day's, fetched the day after: applying them all moves each debit once.
        await merchant.ClockAsync("2027-11-04 08:00:00");
        await setup.RunSubmissionAsync();
        var queue = setup.Service<QueueServiceClient>().GetQueueClient(setup.Settings["Collections:BankResultsQueue"]);
        var messages = 0;
        using (var scope = setup.Services.CreateScope())
        {
            var results = ActivatorUtilities.CreateInstance<CollectionsBankResults>(scope.ServiceProvider);
            while ((await queue.ReceiveMessagesAsync(32)).Value is { Length: > 0 } batch)
            {
                foreach (var message in batch)
                {
                    await results.Run(message.Body.ToString(), CancellationToken.None);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    messages++;
                }
            }
        }
        Assert.True(messages >= debits / 10, $"Only {messages} answer messages.");
        var answered = await RowsAsync<DebitTransaction>(setup, merchant.Id, CollectionsIds.Transaction);
        Assert.Equal(Mandates / 3 + 1, answered.Where(t => t.Status == CollectionsCatalogue.Unpaid).Select(t => t.MandateId).Distinct().Count());
        Assert.All(answered, t =>
        {
            Assert.Contains(t.Status, new[] { CollectionsCatalogue.Paid, CollectionsCatalogue.Unpaid });
            Assert.Equal(2, t.SubmissionData.Count);
        });
    }

    /// <summary>Every debit booked and with the bank, nothing waiting, and no answer the bank holds that is due.</summary>
    private static async Task<bool> SettledAsync(GatewayApp app, long organisationId, int debits)
    {
        var transactions = await RowsAsync<DebitTransaction>(app, organisationId, CollectionsIds.Transaction);
        if (transactions.Count < debits || transactions.Any(t => t.Status == CollectionsCatalogue.Pending)) return false;
        if (await CountAsync(app, organisationId, "csub-") > 0) return false;
        var tables = app.Service<GatewayTables>();
        var unsent = TableFilters.And(TableFilters.RowPrefix(CollectionsStore.Partition(organisationId), "cbat-"),
            TableClient.CreateQueryFilter($"Sent eq {false}"));
        await foreach (var _ in tables.Payments.QueryAsync<TableEntity>(unsent)) return false;
        var due = TableClient.CreateQueryFilter($"PartitionKey eq {CollectionsStore.Partition(organisationId)} and AnswerOn le {"2027-11-03"}");
        await foreach (var _ in tables.CollectionsBank.QueryAsync<TableEntity>(due)) return false;
        return true;
    }

    private static Task<List<T>> RowsAsync<T>(GatewayApp app, long organisationId, string prefix) =>
        Eventually.ReadAsync(async () =>
        {
            var list = new List<T>();
            await foreach (var row in app.Service<CollectionsStore>().ListAsync<T>(organisationId, prefix, null, null, CancellationToken.None))
            {
                list.Add(row.Value);
            }
            return list;
        }, $"the {prefix} rows could be read");

    private static async Task<int> CountAsync(GatewayApp app, long organisationId, string rowPrefix)
    {
        var count = 0;
        var filter = TableFilters.RowPrefix(CollectionsStore.Partition(organisationId), rowPrefix);
        await foreach (var _ in app.Service<GatewayTables>().Payments.QueryAsync<TableEntity>(filter, select: ["RowKey"])) count++;
        return count;
    }
}
