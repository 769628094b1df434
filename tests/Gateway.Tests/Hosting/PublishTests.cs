using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The deployable folder, as <c>./test.sh</c> publishes it (<c>dotnet publish functions/Gateway -c Release -r
/// linux-x64 -p:PublishReadyToRun=true</c>): what a Flex Consumption app on the dotnet-isolated stack runs.
/// </summary>
public sealed class PublishTests
{
    private static readonly string Folder =
        Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "functions", "Gateway", "bin", "publish");

    private static string PathOf(string name)
    {
        Assert.True(Directory.Exists(Folder), $"{Folder} is missing: ./test.sh publishes it before the tests run.");
        var path = Path.Combine(Folder, name);
        Assert.True(File.Exists(path), $"The published folder has no {name}.");
        return path;
    }

    private static JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(PathOf(name))).RootElement;

    [Fact]
    public void ItHoldsTheHostsConfigurationAndTheBuildsFunctionList()
    {
        var root = Gateway.Testing.Azurite.RepositoryRoot();
        Assert.Equal(File.ReadAllText(Path.Combine(root, "host.json")), File.ReadAllText(PathOf("host.json")));
        Assert.False(Json("host.json").TryGetProperty("customHandler", out _));
        Assert.Equal(File.ReadAllText(FunctionCatalogTests.MetadataPath()),
            File.ReadAllText(PathOf("functions.metadata")));

        var triggers = Json("functions.metadata").EnumerateArray()
            .Select(f => (Name: f.GetProperty("name").GetString(), Trigger: f.GetProperty("bindings")[0]))
            .ToArray();
        Assert.Contains(triggers, t => t.Trigger.GetProperty("type").GetString() == "httpTrigger"
            && t.Trigger.GetProperty("route").GetString() == "api/v1/pay/direct"
            && t.Trigger.GetProperty("methods").EnumerateArray().Single().GetString() == "post");
        Assert.Equal(["CollectionsBankResults", "NotificationSender", "WebhookDelivery"], triggers
            .Where(t => t.Trigger.GetProperty("type").GetString() == "queueTrigger").Select(t => t.Name).Order());
        Assert.Equal(["CashierRunner", "CollectionsSubmission", "PaymentScheduleRunner", "PaymentSweep", "TokenSweep", "WebhookSweep"], triggers
            .Where(t => t.Trigger.GetProperty("type").GetString() == "timerTrigger").Select(t => t.Name).Order());
    }

    [Fact]
    public void ItIsADotnetIsolatedWorkerWithTheQueueExtensionForTheHost()
    {
        var worker = Json("worker.config.json").GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("Gateway.dll", worker.GetProperty("defaultWorkerPath").GetString());
        PathOf("Gateway.dll");

        // The host loads the storage queue trigger's extension from the folder the SDK generated.
        var extensions = Json("extensions.json").GetProperty("extensions").EnumerateArray()
            .Select(e => e.GetProperty("hintPath").GetString()!).ToArray();
        var queues = Assert.Single(extensions,
            e => e.EndsWith("Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll"));
        PathOf(queues);

        var frameworks = Json("Gateway.runtimeconfig.json").GetProperty("runtimeOptions").GetProperty("frameworks")
            .EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString(), f.GetProperty("version").GetString()![..3]));
        Assert.Contains(("Microsoft.NETCore.App", "10."), frameworks);
        Assert.Contains(("Microsoft.AspNetCore.App", "10."), frameworks);
    }

    [Fact]
    public void TheAppIsCompiledAheadOfTimeForLinux()
    {
        using var app = new PEReader(File.OpenRead(PathOf("Gateway.dll")));
        // Ready-to-run code sits behind the managed native header; an IL-only build has none.
        Assert.True(app.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "Gateway.dll is not ready-to-run.");
        // Its machine type names the target: x64 XOR-ed with the OS's mark, 0x7B79 for Linux.
        Assert.Equal((ushort)Machine.Amd64 ^ 0x7B79, (int)app.PEHeaders.CoffHeader.Machine);
    }
}
