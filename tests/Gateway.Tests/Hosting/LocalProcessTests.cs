using System.Net;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>The built executable, started as a developer runs it locally (GATEWAY_PORT), against the tests' Azurite.</summary>
public sealed class LocalProcessTests : IAsyncLifetime
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
        Assert.False(process.HasExited);
    }
}
