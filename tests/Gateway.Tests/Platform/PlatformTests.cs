using System.Net.Sockets;
using System.Text.Json;
using Gateway.Hosting;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Platform;

public sealed class PlatformTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task HealthReportsTheGatewayAndItsStorage()
    {
        using var client = app.CreateClient();
        var health = await (await client.GetAsync("/api/health")).JsonAsync(200);
        Assert.Equal("""{"status":"healthy","storage":{"tables":"ok","queues":"ok"}}""", health.GetRawText());
    }

    [Fact]
    public async Task HealthIs503WhenStorageDoesNotAnswer()
    {
        await using var broken = new UnreachableStorageApp();
        await broken.InitializeAsync();
        using var client = broken.CreateClient();

        var health = await (await client.GetAsync("/api/health")).JsonAsync(503);

        Assert.Equal("unhealthy", health.GetProperty("status").GetString());
        Assert.Equal("failed: unreachable", health.GetProperty("storage").GetProperty("tables").GetString());
        Assert.DoesNotContain(Testing.Azurite.AccountKey, health.GetRawText());
    }

    [Fact]
    public async Task ConstantsListServicesGatewaysAndRolesAsDocumented()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var constants = await (await client.GetAsync("/api/v1/constants")).JsonAsync(200);

        var services = constants.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetInt32(), s => s.GetProperty("name").GetString());
        Assert.Equal("Notify Express", services[11]);
        Assert.Equal("EftX", services[12]);
        Assert.Equal("Direct", services[13]);
        Assert.Equal("Pay per token", services[16]);
        Assert.Contains(constants.GetProperty("gateways").EnumerateArray(), g => g.GetProperty("id").GetInt32() == 28 && g.GetProperty("name").GetString() == "Imbeko");
        Assert.Equal("""["administrator","agent"]""", constants.GetProperty("roles").GetRawText());
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync("/api/v1/constants")).ErrorAsync(401);
    }

    [Fact]
    public async Task TheDemoSeedIsStableAcrossRunsAndItsCredentialsWork()
    {
        var file = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}.json");
        try
        {
            var first = await DemoSeed.RunAsync(app.Services, file, CancellationToken.None);
            var second = await DemoSeed.RunAsync(app.Services, file, CancellationToken.None);

            Assert.Equal(first, second);
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            Assert.Equal(["operator", "organisation_id", "admin", "api_key", "functions_admin_key"], document.RootElement.Keys());
            Assert.Equal(["username", "password"], document.RootElement.GetProperty("admin").Keys());
            Assert.Equal(GatewayApp.FunctionsAdminKey, first.FunctionsAdminKey);

            using var admin = app.ClientFor(new Credentials(first.Admin.Username, first.Admin.Password));
            var organisation = await (await admin.GetAsync($"/api/v1/organisation/{first.OrganisationId}")).JsonAsync(200);
            Assert.Equal("test", organisation.GetProperty("mode").GetString());
            using var withKey = app.ClientWithApiKey(first.ApiKey);
            await (await withKey.GetAsync($"/api/v1/organisation/{first.OrganisationId}")).JsonAsync(200);
            using var operatorClient = app.ClientFor(new Credentials(first.Operator.Username, first.Operator.Password));
            await (await operatorClient.GetAsync($"/api/v1/organisation/{first.OrganisationId}")).JsonAsync(200);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task IdsFromConcurrentProcessesNeverCollide()
    {
        // Three allocators stand for three instances of the function app sharing one storage account.
        var options = Options.Create(new IdOptions { BlockSize = 3 });
        var allocators = Enumerable.Range(0, 3).Select(_ => new IdAllocator(app.Service<GatewayTables>(), options)).ToArray();
        var sequence = "test-" + Guid.NewGuid().ToString("N");

        var ids = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => allocators[i % 3].NextAsync(sequence, CancellationToken.None)));

        Assert.Equal(60, ids.Distinct().Count());
        Assert.All(ids, id => Assert.InRange(id, 1, 60 + (3 * 3)));
    }

    /// <summary>The app pointed at a port where nothing listens, with no retries, to see how it reports that.</summary>
    private sealed class UnreachableStorageApp : GatewayApp
    {
        public UnreachableStorageApp()
        {
            var port = FreePort();
            Settings["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Testing.Azurite.AccountKey};" +
                $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
            Settings["Storage:CreateTablesOnStartup"] = "false";
            Settings["Storage:Retry:MaxRetries"] = "0";
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
