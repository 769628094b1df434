using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Storage.Tests;

public sealed class RetryTests
{
    [Fact]
    public async Task TransientFailuresAreRetriedAndEachAttemptIsSignedAfresh()
    {
        var handler = new RecordingHandler { FailFirst = 2 };
        using var http = new HttpClient(handler);
        var table = (await TestStorage.TablesAsync(http)).GetTableClient(TestStorage.UniqueTableName());

        await table.CreateIfNotExistsAsync();

        Assert.Equal(3, handler.Attempts.Count);
        Assert.All(handler.Attempts, a => Assert.StartsWith("SharedKey devstoreaccount1:", a.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetriedTableAttemptCarriesTheAdvancedClock()
    {
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualTimeProvider(start);
        var handler = new RecordingHandler { FailFirst = 2, OnFault = () => clock.Advance(TimeSpan.FromMinutes(20)) };
        using var http = new HttpClient(handler);
        var table = (await TestStorage.TablesAsync(http, time: clock)).GetTableClient(TestStorage.UniqueTableName());

        await table.CreateIfNotExistsAsync();

        AssertSignedAtEachClockReading(handler, start);
    }

    [Fact]
    public async Task RetriedQueueAttemptCarriesTheAdvancedClock()
    {
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualTimeProvider(start);
        var handler = new RecordingHandler { FailFirst = 2, OnFault = () => clock.Advance(TimeSpan.FromMinutes(20)) };
        using var http = new HttpClient(handler);
        var queue = (await TestStorage.QueuesAsync(http, time: clock)).GetQueueClient(TestStorage.UniqueQueueName());

        await queue.CreateIfNotExistsAsync();

        AssertSignedAtEachClockReading(handler, start);
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task EveryTransientStatusIsRetried(HttpStatusCode status)
    {
        var handler = new RecordingHandler { FailFirst = 1, FailWith = status };
        using var http = new HttpClient(handler);

        await (await TestStorage.QueuesAsync(http)).CheckAsync();

        Assert.Equal(2, handler.Attempts.Count);
    }

    [Fact]
    public async Task ExhaustedRetriesThrowWithTheLastStatus()
    {
        var handler = new RecordingHandler { FailFirst = int.MaxValue };
        using var http = new HttpClient(handler);
        var tables = await TestStorage.TablesAsync(http, new StorageRetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.Zero });

        var error = await Assert.ThrowsAsync<StorageException>(() => tables.CheckAsync());

        Assert.Equal(503, error.Status);
        Assert.Equal(3, handler.Attempts.Count);
    }

    [Fact]
    public async Task UnreachableServiceThrowsStatusZeroAfterRetries()
    {
        var handler = new RecordingHandler();
        using var http = new HttpClient(handler);
        var account = (await TestStorage.AccountAsync()) with { QueueEndpoint = new Uri($"http://127.0.0.1:{ClosedPort()}/devstoreaccount1/") };
        var queues = new QueueServiceClient(http, account, new StorageRetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.Zero });

        var error = await Assert.ThrowsAsync<StorageException>(() => queues.CheckAsync());

        Assert.Equal(0, error.Status);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Equal(3, handler.Attempts.Count);
    }

    [Fact]
    public async Task AttemptTimeoutsAreRetriedThenThrowStatusZero()
    {
        var handler = new HangingHandler();
        using var http = new HttpClient(handler);
        var retry = new StorageRetryOptions { MaxRetries = 1, BaseDelay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromMilliseconds(200) };
        var tables = await TestStorage.TablesAsync(http, retry);

        var error = await Assert.ThrowsAsync<StorageException>(() => tables.CheckAsync());

        Assert.Equal(0, error.Status);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, handler.Attempts);
    }

    [Fact]
    public async Task CallerCancellationIsNotRetried()
    {
        var handler = new HangingHandler();
        using var http = new HttpClient(handler);
        var tables = await TestStorage.TablesAsync(http);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tables.CheckAsync(cancel.Token));

        Assert.Equal(1, handler.Attempts);
    }

    [Fact]
    public async Task RequestTheServiceRejectsThrowsWithStatusAndCodeWithoutRetrying()
    {
        var handler = new RecordingHandler();
        using var http = new HttpClient(handler);
        var queue = (await TestStorage.QueuesAsync(http)).GetQueueClient(TestStorage.UniqueQueueName());
        await queue.CreateIfNotExistsAsync();

        // The service requires the time to live to exceed the visibility delay.
        var error = await Assert.ThrowsAsync<StorageException>(
            () => queue.SendAsync("x", visibilityDelay: TimeSpan.FromMinutes(2), timeToLive: TimeSpan.FromMinutes(1)));

        Assert.Equal(400, error.Status);
        Assert.Equal("InvalidQueryParameterValue", error.ErrorCode);
        Assert.Equal(2, handler.Attempts.Count);
    }

    [Fact]
    public async Task WrongKeyIsForbiddenAndTheKeyStaysOutOfTheError()
    {
        var wrongKey = new byte[64];
        wrongKey[0] = 1;
        var account = (await TestStorage.AccountAsync()) with { AccountKey = wrongKey };
        var tables = new TableServiceClient(new HttpClient(), account, TestStorage.NoWait());
        var queues = new QueueServiceClient(new HttpClient(), account, TestStorage.NoWait());

        var tableError = await Assert.ThrowsAsync<StorageException>(() => tables.CheckAsync());
        var queueError = await Assert.ThrowsAsync<StorageException>(() => queues.CheckAsync());

        // Azure answers AuthenticationFailed; Azurite's table service says AuthorizationFailure.
        Assert.Equal(403, tableError.Status);
        Assert.Contains(tableError.ErrorCode, new[] { "AuthenticationFailed", "AuthorizationFailure" });
        Assert.Equal((403, "AuthenticationFailed"), (queueError.Status, queueError.ErrorCode));
        Assert.DoesNotContain(Convert.ToBase64String(wrongKey), tableError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthChecksPassAgainstAzurite()
    {
        await (await TestStorage.TablesAsync()).CheckAsync();
        await (await TestStorage.QueuesAsync()).CheckAsync();
    }

    [Fact]
    public async Task RetryOptionsAreValidated()
    {
        var account = await TestStorage.AccountAsync();
        using var http = new HttpClient();

        Assert.Throws<ArgumentException>(() => new TableServiceClient(http, account, new StorageRetryOptions { MaxRetries = -1 }));
        Assert.Throws<ArgumentException>(() => new QueueServiceClient(http, account, new StorageRetryOptions { BaseDelay = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentException>(() => new QueueServiceClient(http, account, new StorageRetryOptions { AttemptTimeout = TimeSpan.Zero }));
        await new QueueServiceClient(http, account, new StorageRetryOptions { AttemptTimeout = Timeout.InfiniteTimeSpan }).CheckAsync();
    }

    private static void AssertSignedAtEachClockReading(RecordingHandler handler, DateTimeOffset start)
    {
        var expected = Enumerable.Range(0, 3)
            .Select(i => start.AddMinutes(20 * i).ToString("R", CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(expected, handler.Attempts.Select(a => a.Date));
        Assert.Equal(3, handler.Attempts.Select(a => a.Authorization).Distinct().Count());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Never answers: every attempt runs until it is cancelled.</summary>
    private sealed class HangingHandler : HttpMessageHandler
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("Unreachable: the delay only ends by cancellation.");
        }
    }
}
