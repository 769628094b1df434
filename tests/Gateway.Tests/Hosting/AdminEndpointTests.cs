using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Locally the app serves the Functions host's admin endpoint, POST /admin/functions/{name} with the admin key in
/// x-functions-key, to run a queue or timer function now: 202 at once, the run in the background.
/// </summary>
public sealed class AdminEndpointTests(AdminApp app) : IClassFixture<AdminApp>
{
    [Fact]
    public async Task TheAdminKeyRunsATimerFunctionNow()
    {
        var before = app.Recorder.RunsOf("TestAdminTimer").Count;

        var response = await RunAsync("TestAdminTimer");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.HoldsAsync(() => app.Recorder.RunsOf("TestAdminTimer").Count == before + 1, "the timer ran");
        Assert.False(app.Recorder.RunsOf("TestAdminTimer")[^1].Timer!.IsPastDue);
    }

    [Fact]
    public async Task AQueueFunctionReceivesTheInputAsItsMessage()
    {
        var input = "hello " + Guid.NewGuid().ToString("N");

        var response = await RunAsync("TestAdminQueue", $$"""{"input":"{{input}}"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.HoldsAsync(() => app.Recorder.WithBody(input).Count == 1, "the queue function ran with the input");
        // As the host's admin API delivers it: a message on its first dequeue.
        Assert.Equal(1, app.Recorder.WithBody(input)[0].Message!.DequeueCount);
    }

    [Fact]
    public async Task FunctionNamesAreCaseInsensitiveAsOnTheHost()
    {
        var input = "case " + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.Accepted, (await RunAsync("testadminqueue", $$"""{"input":"{{input}}"}""")).StatusCode);

        await Eventually.HoldsAsync(() => app.Recorder.WithBody(input).Count == 1, "the queue function ran");
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("")]
    [InlineData(null)]
    public async Task WithoutTheAdminKeyTheAnswerIs401InTheApiErrorShape(string? key)
    {
        var response = await RunAsync("TestAdminTimer", key: key);

        await response.ErrorAsync(401);
    }

    [Theory]
    [InlineData("NoSuchFunction")]
    [InlineData("Health")] // an HTTP function: it is run by calling its route, not by the admin endpoint
    [InlineData("TokenCreate")]
    public async Task AFunctionThatIsNoQueueOrTimerFunctionIs404(string name)
    {
        var message = await (await RunAsync(name)).ErrorAsync(404);

        Assert.Contains(name, message);
    }

    [Fact]
    public async Task ATimerThatIsAlreadyRunningIs409()
    {
        app.Recorder.Block();
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await RunAsync("TestAdminBlocking")).StatusCode);
            await Eventually.HoldsAsync(() => app.Recorder.Active == 1, "the blocking timer is running");

            await (await RunAsync("TestAdminBlocking")).ErrorAsync(409);
        }
        finally
        {
            app.Recorder.Release();
        }

        await Eventually.HoldsAsync(() => app.Recorder.Active == 0, "the blocking timer finished");
        Assert.Equal(HttpStatusCode.Accepted, (await RunAsync("TestAdminBlocking")).StatusCode);
        await Eventually.HoldsAsync(() => app.Recorder.RunsOf("TestAdminBlocking").Count == 2 && app.Recorder.Active == 0, "it runs again once done");
        Assert.Equal(1, app.Recorder.MaxActive);
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIs400()
    {
        await (await RunAsync("TestAdminQueue", "input=hello")).ErrorAsync(400);
    }

    private async Task<HttpResponseMessage> RunAsync(string name, string? body = null, string? key = GatewayApp.FunctionsAdminKey)
    {
        using var client = app.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/functions/{name}");
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        if (key is not null) request.Headers.Add("x-functions-key", key);
        return await client.SendAsync(request);
    }
}
