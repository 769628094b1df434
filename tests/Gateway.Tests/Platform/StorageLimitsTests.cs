using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Gateway.Platform;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Platform;

/// <summary>
/// The simulator of Table Storage's scalability targets, in front of the real Azurite: what each kind of request is
/// charged, how buckets refill as the clock moves, and how a refusal looks (the service's 503 ServerBusy or 500
/// OperationTimedOut, with nothing applied). Clients here make no retries, so every refusal surfaces.
/// </summary>
public sealed class StorageLimitsTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<TableClient> _tables = [];
    private string _connectionString = null!;

    // Without limits: to set tables up and look at what was written.
    private TableServiceClient _storage = null!;

    public async Task InitializeAsync()
    {
        _connectionString = (await Azurite.SharedAsync()).ConnectionString;
        _storage = new TableServiceClient(_connectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var table in _tables) await table.DeleteAsync();
    }

    [Fact]
    public async Task APartitionAdmitsItsCapacityThenRefusesWithServerBusyAndTheRefusedInsertWritesNothing()
    {
        var (table, storage, limits) = await TableAsync(new() { EntitiesPerPartition = 5 });

        for (var i = 0; i < 5; i++) await table.AddEntityAsync(Row("p", $"r{i}"));
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(Row("p", "r5")));

        Assert.Equal(503, refused.Status);
        Assert.Equal("ServerBusy", Code(refused));
        Assert.Equal("ServerBusy", StorageFaults.Describe(refused));
        Assert.Contains("\"odata.error\":{\"code\":\"ServerBusy\"", refused.GetRawResponse()!.Content.ToString());
        Assert.Contains("partition", refused.Message);
        Assert.False((await storage.GetEntityIfExistsAsync<TableEntity>("p", "r5")).HasValue);
        Assert.Equal(5, await CountAsync(storage, "p"));
        Assert.Equal(5, limits.EntitiesAdmitted);
        Assert.Equal(1, limits.RequestsRefused);
        Assert.Equal(5, limits.PartitionEntities()[new(table.Name, "p")]);
    }

    [Fact]
    public async Task MovingTheClockRefillsTheBucketAtItsRateUpToOneSecondsWorth()
    {
        // A key that must be escaped in the URL (a quote is doubled, then the whole is URL-encoded).
        const string partition = "o'k é+";
        var (table, _, limits) = await TableAsync(new() { EntitiesPerPartition = 5 });

        for (var i = 0; i < 5; i++) await table.UpsertEntityAsync(Row(partition, $"r{i}"));
        await RefusedAsync(() => table.GetEntityIfExistsAsync<TableEntity>(partition, "r0"));

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        await table.GetEntityAsync<TableEntity>(partition, "r0");
        await table.DeleteEntityAsync(partition, "r1");
        await RefusedAsync(() => table.GetEntityIfExistsAsync<TableEntity>(partition, "r0"));

        // Half a token was left; a second adds five, and the bucket holds no more than one second's worth.
        _clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 5; i++) await table.UpdateEntityAsync(Row(partition, "r0"), ETag.All);
        await RefusedAsync(() => table.GetEntityIfExistsAsync<TableEntity>(partition, "r0"));

        Assert.Equal(12, limits.PartitionEntities()[new(table.Name, partition)]);
        Assert.Equal(3, limits.RequestsRefused);
    }

    [Fact]
    public async Task ABatchIsChargedOneEntityPerOperationAndARefusedBatchWritesNothing()
    {
        var (table, storage, limits) = await TableAsync(new() { EntitiesPerPartition = 150 });
        var key = new StoragePartition(table.Name, "p");

        await table.SubmitTransactionAsync(Batch(TableTransactionActionType.Add, "p", "a", 100));
        Assert.Equal(100, limits.PartitionEntities()[key]);
        Assert.Equal(100, await CountAsync(storage, "p"));

        // 50 left: the next 100 are refused whole, and none of them lands.
        var refused = await Assert.ThrowsAnyAsync<RequestFailedException>(
            () => table.SubmitTransactionAsync(Batch(TableTransactionActionType.Add, "p", "b", 100)));
        Assert.Equal(503, refused.Status);
        Assert.Equal(100, await CountAsync(storage, "p"));
        Assert.Equal(100, limits.PartitionEntities()[key]);

        // Operations that name their row in the URL (updates, deletes) are charged to that row's partition.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await table.SubmitTransactionAsync(Batch(TableTransactionActionType.UpsertMerge, "p", "a", 10));
        await table.SubmitTransactionAsync(Batch(TableTransactionActionType.Delete, "p", "a", 20));
        Assert.Equal(130, limits.PartitionEntities()[key]);
        Assert.Equal(80, await CountAsync(storage, "p"));
        Assert.Equal(130, limits.EntitiesAdmitted);
    }

    [Fact]
    public async Task TwoPartitionsAreIndependentButTheAccountCapsTheirSum()
    {
        var (table, _, limits) = await TableAsync(new() { EntitiesPerPartition = 10, EntitiesPerAccount = 15 });

        for (var i = 0; i < 10; i++) await table.AddEntityAsync(Row("a", $"r{i}"));
        Assert.Contains("partition", (await RefusedAsync(() => table.AddEntityAsync(Row("a", "r10")))).Message);
        // A refusal took nothing: the account still holds 5, which the other partition can have.
        for (var i = 0; i < 5; i++) await table.AddEntityAsync(Row("b", $"r{i}"));
        Assert.Contains("account", (await RefusedAsync(() => table.AddEntityAsync(Row("b", "r5")))).Message);

        var partitions = limits.PartitionEntities();
        Assert.Equal(10, partitions[new(table.Name, "a")]);
        Assert.Equal(5, partitions[new(table.Name, "b")]);
        Assert.Equal(15, limits.EntitiesAdmitted);
        Assert.Equal(2, limits.RequestsRefused);
    }

    [Fact]
    public async Task ScaleScalesTheCapacityAndTheRate()
    {
        // 2,000 a second at 1/200: 10 a second, one every 100 ms.
        var (table, _, _) = await TableAsync(new() { EntitiesPerPartition = 2000, Scale = 0.005 });

        for (var i = 0; i < 10; i++) await table.AddEntityAsync(Row("p", $"r{i}"));
        await RefusedAsync(() => table.AddEntityAsync(Row("p", "r10")));
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await table.AddEntityAsync(Row("p", "r10"));
        await RefusedAsync(() => table.AddEntityAsync(Row("p", "r11")));
    }

    [Fact]
    public async Task AQueryWithinAPartitionIsChargedToItTheEntitiesItReturns()
    {
        var (table, storage, limits) = await TableAsync(new() { EntitiesPerPartition = 10 });
        for (var i = 0; i < 8; i++) await storage.AddEntityAsync(Row("p", $"r{i}"));
        for (var i = 0; i < 3; i++) await storage.AddEntityAsync(Row("q", $"r{i}"));

        // The SDK still reads the whole answer after the policy counted it.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {"p"} and RowKey ge {"r"}");
        var rows = await ListAsync(table.QueryAsync<TableEntity>(filter));

        Assert.Equal(8, rows.Count);
        Assert.Equal(8, limits.PartitionEntities()[new(table.Name, "p")]);
        Assert.Equal(8, limits.EntitiesAdmitted);
        await table.GetEntityAsync<TableEntity>("p", "r0");
        await table.GetEntityAsync<TableEntity>("p", "r1");
        await RefusedAsync(() => table.GetEntityAsync<TableEntity>("p", "r2"));
    }

    [Fact]
    public async Task AQueryReturningMoreThanItsBucketHoldsLeavesADebtLaterRequestsWaitOut()
    {
        var (table, storage, _) = await TableAsync(new() { EntitiesPerPartition = 5 });
        for (var i = 0; i < 8; i++) await storage.AddEntityAsync(Row("p", $"r{i}"));

        // Charged 1 before it is sent (the bucket holds 5), then the other 7 it returned: 3 in debt.
        Assert.Equal(8, (await ListAsync(table.QueryAsync<TableEntity>(e => e.PartitionKey == "p"))).Count);

        await RefusedAsync(() => table.GetEntityAsync<TableEntity>("p", "r0"));
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        await RefusedAsync(() => table.GetEntityAsync<TableEntity>("p", "r0"));
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        await table.GetEntityAsync<TableEntity>("p", "r0");
    }

    [Fact]
    public async Task AQueryAcrossPartitionsIsChargedToTheAccountOnly()
    {
        var (table, storage, limits) = await TableAsync(new() { EntitiesPerPartition = 3, EntitiesPerAccount = 20 });
        for (var i = 0; i < 8; i++) await storage.AddEntityAsync(Row("p", $"r{i}"));

        Assert.Equal(8, (await ListAsync(table.QueryAsync<TableEntity>())).Count);
        Assert.Equal(8, (await ListAsync(table.QueryAsync<TableEntity>("PartitionKey eq 'p' or PartitionKey eq 'x'"))).Count);

        Assert.Equal(16, limits.EntitiesAdmitted);
        Assert.Empty(limits.PartitionEntities());
        // The partition's own bucket is untouched (3); the account has 4 left.
        for (var i = 0; i < 3; i++) await table.GetEntityAsync<TableEntity>("p", $"r{i}");
        Assert.Contains("partition", (await RefusedAsync(() => table.GetEntityAsync<TableEntity>("p", "r3"))).Message);
        await table.GetEntityIfExistsAsync<TableEntity>("q", "r0");
        var account = await RefusedAsync(() => table.GetEntityIfExistsAsync<TableEntity>("q", "r1"));
        Assert.Contains("account", account.Message);
    }

    [Fact]
    public async Task EveryTimeoutShareThRefusalIsAnOperationTimedOut()
    {
        var (table, _, limits) = await TableAsync(new() { EntitiesPerPartition = 1, TimeoutShare = 0.25 });
        await table.AddEntityAsync(Row("p", "r0"));

        var answers = new List<(int, string?)>();
        for (var i = 0; i < 8; i++)
        {
            var refused = await Assert.ThrowsAsync<RequestFailedException>(
                () => table.GetEntityAsync<TableEntity>("p", "r0"));
            answers.Add((refused.Status, Code(refused)));
        }

        (int, string?) busy = (503, "ServerBusy"), timedOut = (500, "OperationTimedOut");
        Assert.Equal([busy, busy, busy, timedOut, busy, busy, busy, timedOut], answers);
        Assert.Equal(8, limits.RequestsRefused);
        Assert.Equal(2, limits.RequestsTimedOut);
    }

    [Fact]
    public async Task TheSdksRetryPolicyTriesARefusedRequestAgainThroughTheLimits()
    {
        var (table, _, limits) = await TableAsync(new() { EntitiesPerPartition = 1 });
        await table.AddEntityAsync(Row("p", "r0"));
        var backOff = TimeSpan.FromMilliseconds(1);
        var retrying = new TableClientOptions
        {
            RetryPolicy = new StorageRetryPolicy(new() { MaxRetries = 2, Delay = backOff, MaxDelay = backOff }),
        };
        retrying.AddPolicy(limits, HttpPipelinePosition.BeforeTransport);
        var client = new TableServiceClient(_connectionString, retrying).GetTableClient(table.Name);

        // The clock does not move, so every try meets the same empty bucket: the first and both retries are refused.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.GetEntityAsync<TableEntity>("p", "r0"));
        Assert.True(StorageFaults.IsUnavailable(refused));
        Assert.Equal(3, limits.RequestsRefused);
        Assert.Equal(1, limits.EntitiesAdmitted);
    }

    [Fact]
    public async Task GivenALoggerItReportsWhatWasAdmittedAndRefusedSinceItsLastReportAndNothingWhenIdle()
    {
        var capture = new LogCapture();
        using var logging = LoggerFactory.Create(builder => builder.AddProvider(capture));
        var (table, _, limits) = await TableAsync(
            new() { EntitiesPerPartition = 5, ReportInterval = TimeSpan.FromSeconds(1) },
            logging.CreateLogger<StorageLimitsPolicy>());
        string[] Reports() => [.. capture.Lines.Where(l => l.Category == typeof(StorageLimitsPolicy).FullName)
            .Select(l => l.Message)];

        for (var i = 0; i < 5; i++) await table.AddEntityAsync(Row("p", $"r{i}"));
        await RefusedAsync(() => table.AddEntityAsync(Row("p", "r5")));
        _clock.Advance(TimeSpan.FromSeconds(1));
        // An idle second logs nothing: the next report covers both seconds since the last one.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await table.AddEntityAsync(Row("q", "r0"));
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(
        [
            $"Storage limits, last 1 s: 5 entities admitted, 1 requests refused (0 by the account's rate); by table: " +
            $"{table.Name} 5 (1 refused); hottest of 1 partitions: {table.Name}/p 5 (1 refused)",
            $"Storage limits, last 2 s: 1 entities admitted, 0 requests refused (0 by the account's rate); by table: " +
            $"{table.Name} 1; hottest of 1 partitions: {table.Name}/q 1",
        ], Reports());
        // Disposed with the app's services: its timer stops.
        limits.Dispose();
        await table.AddEntityAsync(Row("q", "r1"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Reports().Length);
    }

    [Theory]
    [InlineData("PartitionKey eq 'p'", "p")]
    [InlineData("PartitionKey eq 'it''s' and RowKey ge 'a' and RowKey lt 'b'", "it's")]
    [InlineData("(PartitionKey eq 'p') and (RowKey eq 'r')", "p")]
    [InlineData("RowKey eq 'r' and (PartitionKey eq 'p' and Amount gt 1)", "p")]
    [InlineData("PartitionKey eq 'a' or PartitionKey eq 'b'", null)]
    [InlineData("(PartitionKey eq 'a' or RowKey eq 'b') and RowKey ge 'c'", null)]
    [InlineData("Name eq 'x and PartitionKey eq ''y''' and Amount gt 1", null)]
    [InlineData("PartitionKey ge 'a' and PartitionKey lt 'b'", null)]
    [InlineData("not (PartitionKey eq 'p')", null)]
    public void AFilterPinsAPartitionOnlyWhenEveryMatchMustBeInIt(string filter, string? partition) =>
        Assert.Equal(partition, TableRequestCost.FilteredPartition(filter));

    [Theory]
    [InlineData("EntitiesPerPartition", "0")]
    [InlineData("EntitiesPerAccount", "-5")]
    [InlineData("Scale", "0")]
    [InlineData("Scale", "1001")]
    [InlineData("TimeoutShare", "1.5")]
    [InlineData("TimeoutShare", "-0.1")]
    public async Task BadLimitsStopTheAppAtStartUp(string setting, string value)
    {
        var error = await GatewayApp.StartUpFailureAsync(new() { ["Storage:Limits:" + setting] = value });
        Assert.Contains("Storage:Limits", error.ToString());
    }

    /// <summary>A table of the test's own, and a client of it through limits on the test's clock, with no retries.</summary>
    private async Task<(TableClient Table, TableClient Storage, StorageLimitsPolicy Limits)> TableAsync(
        StorageLimitsOptions limits, ILogger<StorageLimitsPolicy>? logger = null)
    {
        var name = "Limits" + Guid.NewGuid().ToString("N");
        var storage = _storage.GetTableClient(name);
        await storage.CreateAsync();
        _tables.Add(storage);
        var policy = new StorageLimitsPolicy(limits, _clock, logger);
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.AddPolicy(policy, HttpPipelinePosition.BeforeTransport);
        return (new TableServiceClient(_connectionString, options).GetTableClient(name), storage, policy);
    }

    private static async Task<RequestFailedException> RefusedAsync(Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<RequestFailedException>(call);
        Assert.Equal(503, refused.Status);
        Assert.Equal("ServerBusy", Code(refused));
        return refused;
    }

    // The service's header: the SDK fills ErrorCode only from answers its transport returned (see StorageFaults).
    private static string? Code(RequestFailedException refused) =>
        refused.GetRawResponse()?.Headers.TryGetValue("x-ms-error-code", out var code) == true ? code : null;

    private static TableEntity Row(string partition, string row) => new(partition, row) { ["Amount"] = 1L };

    private static IEnumerable<TableTransactionAction> Batch(
        TableTransactionActionType type, string partition, string prefix, int count) =>
        Enumerable.Range(0, count).Select(i =>
            new TableTransactionAction(type, Row(partition, prefix + i.ToString("D3", CultureInfo.InvariantCulture))));

    private static async Task<int> CountAsync(TableClient storage, string partition) =>
        (await ListAsync(storage.QueryAsync<TableEntity>(e => e.PartitionKey == partition, select: ["RowKey"]))).Count;

    private static async Task<List<T>> ListAsync<T>(AsyncPageable<T> pages) where T : notnull
    {
        var all = new List<T>();
        await foreach (var item in pages) all.Add(item);
        return all;
    }
}

/// <summary>The gateway with the simulator switched on, as a benchmark runs it.</summary>
public sealed class LimitedStorageApp : GatewayApp
{
    public LimitedStorageApp() => Settings["Storage:Limits:Enabled"] = "true";
}

/// <summary>The simulator in the app: one policy for the process when switched on, none when off (the default).</summary>
public sealed class StorageLimitsAppTests(LimitedStorageApp app) : IClassFixture<LimitedStorageApp>
{
    [Fact]
    public async Task SwitchedOnOnePolicyCountsTheEntitiesOfRealApiCalls()
    {
        var limits = app.Service<StorageLimitsPolicy>();
        var before = limits.EntitiesAdmitted;

        var organisation = await app.CreateOrganisationAsync();

        Assert.True(limits.EntitiesAdmitted > before);
        Assert.True(limits.PartitionEntities()[new("Identity", $"org-{organisation.Id:D10}")] > 0);
        Assert.Equal(0, limits.RequestsRefused);
        Assert.Contains(app.Logs.Lines, l => l.Message.Contains(
            "Storage limits simulated: 2000 entities/s per partition, 20000 per account (scale 1), 10% of refusals timing out",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task OffByDefaultThereIsNoPolicy()
    {
        // Not even when test.sh's second run switches the simulator on for every other app.
        await using var plain = new GatewayApp { SimulatesAzureLimits = false };
        await ((IAsyncLifetime)plain).InitializeAsync();

        Assert.Null(plain.Services.GetService<StorageLimitsPolicy>());
        Assert.DoesNotContain(plain.Logs.Lines, l => l.Message.Contains("Storage limits", StringComparison.Ordinal));
    }
}
