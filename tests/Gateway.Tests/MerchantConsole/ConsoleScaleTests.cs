using System.Net;
using System.Text.RegularExpressions;
using Azure.Core;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.MerchantConsole;

/// <summary>
/// The gateway counting its queries of the Payments table, through the Azure SDK's own pipeline; with tables of its
/// own, so that its 10,000 rows are no other test's business (scans of the shared tables would meet them).
/// </summary>
public sealed class CountingApp : GatewayApp
{
    public CountingApp()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "scale" + run;
        Settings["Payments:EventQueue"] = "scale-" + run;
    }

    public QueryCounter Queries { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => Queries.AddTo(services);
}

/// <summary>Counts the table queries (GETs of the Payments table's rows) that pass; fails none.</summary>
public sealed class QueryCounter : StorageFaultPolicy
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    protected override StorageFault? Choose(Request request)
    {
        if (request.Method == RequestMethod.Get && request.Uri.Path.EndsWith("Payments()", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _count);
        }
        return null;
    }
}

/// <summary>A transaction list of 10,000 rows pages without loading them all.</summary>
public sealed class ConsoleScaleTests(CountingApp app) : IClassFixture<CountingApp>
{
    [Fact]
    public async Task TenThousandTransactionsPageFiftyAtATimeWithOneQueryAPartitionAPage()
    {
        using var merchant = await app.MerchantAsync();
        var tables = app.Service<GatewayTables>();
        var now = DateTimeOffset.UtcNow;
        // Written straight to the table, as the ledger rows pay/direct writes (spread over the organisation's eight
        // partitions by the last digits of their ids): the test is about reading them.
        var partitions = 8;
        var batches = Enumerable.Range(1, 10_000).GroupBy(n => n % partitions).SelectMany(shard => shard.Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
        {
            var rows = batch.Select(n => (Id: PaymentRows.NewTransactionId(n, n % partitions), N: n)).Select(t => TableActions.Insert(new PaymentTransaction
            {
                Id = t.Id, OrganisationId = merchant.Id, Status = TransactionStatus.Complete, PaymentType = PaymentTypes.Card,
                Service = "Direct", Gateway = "Simulator", AmountMinor = 1000 + t.N, Currency = "ZAR", MerchantReference = $"bulk-{t.N}",
                GatewayReference = Guid.NewGuid().ToString(), PaymentKey = Guid.NewGuid().ToString("N"), Created = now.AddSeconds(t.N),
                IsDemo = true, Response = Responses.ForAmount(1000 + t.N, "ZAR"),
            }.ToEntity()));
            Assert.NotNull(await tables.Payments.TrySubmitAsync(rows, ct));
        });

        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Organisation.Admin);
        app.Queries.Reset();
        var first = await browser.PageAsync("/console/transactions");
        Assert.Equal(partitions, app.Queries.Count);
        Assert.Equal(50, Regex.Matches(first, "<tr><td><a href=\"/console/transactions/").Count);
        Assert.Contains("bulk-1<", first);
        var next = WebUtility.HtmlDecode(Regex.Match(first, "<a href=\"([^\"]+)\">Next page</a>").Groups[1].Value);
        Assert.Contains($"after={PaymentRows.NewTransactionId(50, 50 % partitions)}", next);

        app.Queries.Reset();
        var second = await browser.PageAsync(next);
        Assert.Equal(partitions, app.Queries.Count);
        Assert.Contains("bulk-51<", second);
        Assert.DoesNotContain("bulk-50<", second);
    }
}
