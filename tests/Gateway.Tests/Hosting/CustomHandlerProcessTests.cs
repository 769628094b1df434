using System.Net;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The built executable, started as the Functions host starts it (FUNCTIONS_CUSTOMHANDLER_PORT in its environment)
/// and as a developer runs it locally (GATEWAY_PORT), against the tests' Azurite.
/// </summary>
public sealed class CustomHandlerProcessTests : IAsyncLifetime
{
    private const string AdminKey = "process-test-admin-key";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private Azurite _azurite = null!;

    public async Task InitializeAsync() => _azurite = await Azurite.SharedAsync();

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task UnderTheHostItListensOnTheGivenPortAndAnswersReadinessEnvelopesAndForwardedRequests()
    {
        var port = GatewayProcess.FreePort();
        await using var process = GatewayProcess.Start(new Dictionary<string, string?>
        {
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AzureWebJobsStorage"] = _azurite.ConnectionString,
            ["CardVault__Keys__test1"] = Convert.ToBase64String(new byte[32]),
            ["CardVault__ActiveKey"] = "test1",
        });
        var root = $"http://127.0.0.1:{port}";

        await process.WaitUntilAnsweringAsync(_client, root + "/", StartDeadline);

        Assert.Equal("ready", (await (await _client.GetAsync(root + "/")).JsonAsync(200)).GetProperty("status").GetString());
        var invocation = await _client.SendRawAsync(HttpMethod.Post, root + "/TokenSweep",
            """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},"Metadata":{}}""", "application/json");
        var envelope = await invocation.JsonAsync(200);
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], envelope.Keys());
        Assert.Equal("application/json", invocation.Content.Headers.ContentType?.MediaType);
        var health = await (await _client.GetAsync(root + "/api/health")).JsonAsync(200);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        // Under the host the host serves the admin API, not the app.
        Assert.Equal(HttpStatusCode.NotFound, (await _client.PostAsync(root + "/admin/functions/TokenSweep", null)).StatusCode);
        Assert.False(process.HasExited);
    }

    [Fact]
    public async Task LocallyItListensOnGatewayPortAndRunsFunctionsThroughTheAdminEndpoint()
    {
        var port = GatewayProcess.FreePort();
        await using var process = GatewayProcess.Start(new Dictionary<string, string?>
        {
            ["GATEWAY_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AzureWebJobsStorage"] = _azurite.ConnectionString,
            ["Functions__AdminKey"] = AdminKey,
            // A queue of its own: the local poller would otherwise deliver the webhooks of every test app's events.
            ["Payments__EventQueue"] = "process-" + Guid.NewGuid().ToString("N")[..10],
        });
        var root = $"http://localhost:{port}";

        await process.WaitUntilAnsweringAsync(_client, root + "/api/health", StartDeadline);

        var health = await (await _client.GetAsync(root + "/api/health")).JsonAsync(200);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        var run = new HttpRequestMessage(HttpMethod.Post, root + "/admin/functions/TokenSweep");
        run.Headers.Add("x-functions-key", AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.SendAsync(run)).StatusCode);
        await Eventually.HoldsAsync(() => process.Output.Contains("Executed TokenSweep", StringComparison.Ordinal),
            "the process logs that TokenSweep ran", StartDeadline);
        // Locally there is no invocation protocol: POST /TokenSweep is no route.
        Assert.Equal(HttpStatusCode.NotFound, (await _client.PostAsync(root + "/TokenSweep", null)).StatusCode);
        Assert.False(process.HasExited);
    }
}
