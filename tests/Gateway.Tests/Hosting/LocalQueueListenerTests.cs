using Azure;
using Azure.Storage.Queues;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Locally the app polls its queue functions' queues itself with host.json's semantics: delete on success, retry
/// until maxDequeueCount, then move to {queue}-poison; a message that is not base64 goes straight to poison.
/// Real queues on Azurite; the app polls every 200 ms at most and retries at once.
/// </summary>
public sealed class LocalQueueListenerTests(QueueListenerApp app) : IClassFixture<QueueListenerApp>
{
    private QueueClient Queue(string name) => app.Service<QueueServiceClient>().GetQueueClient(name);

    [Fact]
    public void LocallyThePollerRuns()
    {
        var listener = app.Services.GetServices<IHostedService>().OfType<LocalQueueListener>().Single();

        Assert.False(listener.ExecuteTask!.IsCompleted, "Locally the queue poller must keep running.");
    }

    [Fact]
    public async Task ABase64MessageReachesTheHandlerAndIsDeleted()
    {
        var queue = await CreatedAsync(app.QueueOf("Test:Delivers"));
        var body = $$"""{"order":"{{Guid.NewGuid():N}}"}""";

        var sent = (await queue.SendMessageAsync(body)).Value;

        await Eventually.HoldsAsync(() => app.Recorder.WithBody(body).Count == 1, "the handler got the message");
        await Eventually.HoldsAsync(async () => await CountAsync(queue) == 0, "the message is deleted");
        var run = Assert.Single(app.Recorder.WithBody(body));
        Assert.Equal("TestDelivers", run.Function);
        Assert.Equal(sent.MessageId, run.Message!.MessageId);
        Assert.Equal(1, run.Message.DequeueCount);
        Assert.Equal(sent.InsertionTime, run.Message.InsertedOn);
    }

    [Fact]
    public async Task AMessageThatAlwaysFailsIsTriedMaxDequeueCountTimesThenMovedToPoisonUnchanged()
    {
        var queue = await CreatedAsync(app.QueueOf("Test:AlwaysFails"));
        var poison = Queue(app.QueueOf("Test:AlwaysFails") + "-poison");
        var body = "fails " + Guid.NewGuid().ToString("N");

        await queue.SendMessageAsync(body);

        await Eventually.HoldsAsync(async () => await CountAsync(poison) == 1, "the message is in the poison queue");
        await Eventually.HoldsAsync(async () => await CountAsync(queue) == 0, "the source queue is empty");
        var poisoned = Assert.Single((await Raw(poison).PeekMessagesAsync(32)).Value);
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body)), poisoned.Body.ToString());
        Assert.Equal(Enumerable.Range(1, QueueListenerApp.MaxDequeueCount).Select(n => (long)n),
            app.Recorder.WithBody(body).Select(r => r.Message!.DequeueCount));
    }

    [Fact]
    public async Task AMessageThatFailsOnceSucceedsOnItsSecondDeliveryAndNeverReachesPoison()
    {
        var queue = await CreatedAsync(app.QueueOf("Test:FailsOnce"));
        var poison = Queue(app.QueueOf("Test:FailsOnce") + "-poison");
        var body = "flaky " + Guid.NewGuid().ToString("N");

        await queue.SendMessageAsync(body);

        await Eventually.HoldsAsync(() => app.Recorder.WithBody(body).Count == 2, "the handler ran twice");
        await Eventually.HoldsAsync(async () => await CountAsync(queue) == 0, "the message is deleted");
        Assert.Equal([1L, 2L], app.Recorder.WithBody(body).Select(r => r.Message!.DequeueCount));
        Assert.Equal(0, await CountAsync(poison));
    }

    [Fact]
    public async Task AMessageThatIsNotBase64GoesStraightToPoisonWithoutRunningTheHandler()
    {
        var queue = await CreatedAsync(app.QueueOf("Test:Undecodable"));
        var poison = Queue(app.QueueOf("Test:Undecodable") + "-poison");

        await Raw(queue).SendMessageAsync("not base64!");

        await Eventually.HoldsAsync(async () => await CountAsync(poison) == 1, "the message is in the poison queue");
        await Eventually.HoldsAsync(async () => await CountAsync(queue) == 0, "the source queue is empty");
        // As the Functions host does, the copy is encoded like every message, so it decodes to exactly what was sent.
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(32)).Value);
        Assert.Equal("not base64!", poisoned.Body.ToString());
        Assert.Empty(app.Recorder.RunsOf("TestUndecodable"));
    }

    [Fact]
    public async Task SeveralMessagesReceivedInOneBatchAreAllProcessed()
    {
        var queue = await CreatedAsync(app.QueueOf("Test:Delivers"));
        var bodies = Enumerable.Range(1, 12).Select(n => $"batch {n} {Guid.NewGuid():N}").ToList();

        // Hidden for a second after they are put, so they become visible together and one receive takes them all.
        await Task.WhenAll(bodies.Select(b => queue.SendMessageAsync(b, visibilityTimeout: TimeSpan.FromSeconds(1))));

        await Eventually.HoldsAsync(() => bodies.All(b => app.Recorder.WithBody(b).Count == 1), "every message was handled once");
        await Eventually.HoldsAsync(async () => await CountAsync(queue) == 0, "every message is deleted");
        Assert.All(bodies, b => Assert.Single(app.Recorder.WithBody(b)));
    }

    /// <summary>The same queue without the base64 encoding: messages as stored, for what other producers may put there.</summary>
    private QueueClient Raw(QueueClient queue) => new(app.Azurite.ConnectionString, queue.Name);

    private async Task<QueueClient> CreatedAsync(string name)
    {
        var queue = Queue(name);
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    /// <summary>Messages in a queue that may not exist yet (the poller creates poison queues when it needs one).</summary>
    private static async Task<int> CountAsync(QueueClient queue)
    {
        try
        {
            return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }
}
