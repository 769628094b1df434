using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) the host drives queue and timer functions by POSTing
/// invocation envelopes to /{FunctionName}; the answer is {Outputs, Logs, ReturnValue}, and non-2xx means failed.
/// </summary>
public sealed class InvocationEnvelopeTests(EnvelopeApp app) : IClassFixture<EnvelopeApp>
{
    private const string QueueEnvelope =
        """{"Data":{"message":"{\"a\":1}"},"Metadata":{"DequeueCount":2,"Id":"m1","InsertionTime":"2026-01-01T00:00:00+00:00"}}""";

    [Fact]
    public async Task TheReadinessCheckAtTheRootAnswers200()
    {
        using var client = app.CreateClient();

        var body = await (await client.GetAsync("/")).JsonAsync(200);

        Assert.Equal("ready", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AQueueEnvelopeReachesOnlyItsFunctionWithBodyAndMetadataAndAnswersTheEnvelopeShape()
    {
        var before = app.Recorder.Runs.Count;

        var response = await PostAsync("/TestQueueA", QueueEnvelope);

        await AssertEnvelopeAsync(response, 200);
        var run = Assert.Single(app.Recorder.Runs.Skip(before));
        Assert.Equal(nameof(RecordingQueue), run.Handler);
        Assert.Equal(new QueueTrigger("""{"a":1}""", "m1", 2, DateTimeOffset.Parse("2026-01-01T00:00:00+00:00")), run.Message);
    }

    [Theory]
    [InlineData("""{"Data":{"message":"\"{\\\"a\\\":1}\""}}""")] // the host serialized the message string once more
    [InlineData("""{"Data":{"message":{"a":1}}}""")] // the host turned the JSON message into an object
    [InlineData("""{"Data":{"Message":"{\"a\":1}"}}""")] // binding names are case-insensitive
    public async Task EveryFormTheHostSendsAJsonMessageInArrivesAsItsJsonText(string envelope)
    {
        var before = app.Recorder.Runs.Count;

        await AssertEnvelopeAsync(await PostAsync("/TestQueueA", envelope), 200);

        var run = Assert.Single(app.Recorder.Runs.Skip(before));
        Assert.Equal(nameof(RecordingQueue), run.Handler);
        Assert.Equal("""{"a":1}""", run.Message!.Body);
        Assert.Equal(1, run.Message.DequeueCount);
    }

    [Fact]
    public async Task EachQueueFunctionHasItsOwnPath()
    {
        var before = app.Recorder.Runs.Count;

        await AssertEnvelopeAsync(await PostAsync("/TestQueueB", """{"Data":{"message":"for b"}}"""), 200);

        var run = Assert.Single(app.Recorder.Runs.Skip(before));
        Assert.Equal(nameof(OtherQueue), run.Handler);
        Assert.Equal("for b", run.Message!.Body);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ATimerEnvelopeRunsTheTimerWithItsPastDueFlag(bool pastDue)
    {
        var before = app.Recorder.Runs.Count;

        var envelope = $$$"""{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":{{{(pastDue ? "true" : "false")}}},"ScheduleStatus":null}},"Metadata":{}}""";
        await AssertEnvelopeAsync(await PostAsync("/TestTimer", envelope), 200);

        var run = Assert.Single(app.Recorder.Runs.Skip(before));
        Assert.Equal(nameof(RecordingTimer), run.Handler);
        Assert.Equal(new TimerTrigger(pastDue), run.Timer);
    }

    [Fact]
    public async Task AFailingHandlerAnswers500InTheEnvelopeShapeSoTheHostRetries()
    {
        var before = app.Recorder.Runs.Count;

        await AssertEnvelopeAsync(await PostAsync("/TestQueueFailing", """{"Data":{"message":"boom"}}"""), 500);

        Assert.Equal(nameof(ThrowingQueue), Assert.Single(app.Recorder.Runs.Skip(before)).Handler);
    }

    [Theory]
    [InlineData("/TestQueueA", """{"Data":{"message":"{\"a\":1}""")] // malformed JSON
    [InlineData("/TestQueueA", "")]
    [InlineData("/TestQueueA", """{"Metadata":{"Id":"m1"}}""")] // no Data
    [InlineData("/TestQueueA", """{"Data":"message"}""")]
    [InlineData("/TestQueueA", """{"Data":{"msg":"x"}}""")] // no binding of that name
    [InlineData("/TestQueueA", """{"Data":{"message":42}}""")]
    [InlineData("/TestTimer", """{"Data":{"message":"x"}}""")]
    [InlineData("/TestTimer", "[]")]
    public async Task AnUnusableEnvelopeAnswers400WithoutRunningAnything(string path, string envelope)
    {
        var before = app.Recorder.Runs.Count;

        await AssertEnvelopeAsync(await PostAsync(path, envelope), 400);

        Assert.Equal(before, app.Recorder.Runs.Count);
    }

    [Fact]
    public async Task UnderTheHostTheLocalAdminEndpointIsNotMapped()
    {
        using var client = app.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/functions/TestTimer");
        request.Headers.Add("x-functions-key", GatewayApp.FunctionsAdminKey);

        await (await client.SendAsync(request)).ErrorAsync(404);
    }

    /// <summary>
    /// Deterministic: a BackgroundService's ExecuteTask runs for the app's lifetime while it polls or schedules;
    /// under the host both return at start. The message put on the queue is still there, never dequeued
    /// (peeked after an envelope round trip, which proves the app is up and serving).
    /// </summary>
    [Fact]
    public async Task UnderTheHostTheLocalPollerAndSchedulerStandDownAndLeaveQueuedMessagesAlone()
    {
        var hosted = app.Services.GetServices<IHostedService>().ToList();
        Assert.True(hosted.OfType<LocalQueueListener>().Single().ExecuteTask!.IsCompletedSuccessfully, "The queue poller is running.");
        Assert.True(hosted.OfType<LocalTimerScheduler>().Single().ExecuteTask!.IsCompletedSuccessfully, "The timer scheduler is running.");

        var queue = app.Service<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(app.QueueA.QueueName);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("left for the host");
        await AssertEnvelopeAsync(await PostAsync("/TestQueueA", QueueEnvelope), 200);

        var message = Assert.Single((await queue.PeekMessagesAsync(32)).Value);
        Assert.Equal("left for the host", message.Body.ToString());
        Assert.Equal(0, message.DequeueCount);
        Assert.Empty(app.Recorder.WithBody("left for the host"));
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string envelope)
    {
        using var client = app.CreateClient();
        return await client.SendRawAsync(HttpMethod.Post, path, envelope, "application/json");
    }

    private static async Task AssertEnvelopeAsync(HttpResponseMessage response, int status)
    {
        var body = await response.JsonAsync(status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], body.Keys());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.All(body.GetProperty("Logs").EnumerateArray(), log => Assert.Equal(JsonValueKind.String, log.ValueKind));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("ReturnValue").ValueKind);
    }
}
