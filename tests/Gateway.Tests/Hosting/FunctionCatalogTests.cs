using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Functions.All is the one list of functions: the app's routes, the deployed function.json files, the publish
/// step's CLI and the OpenAPI document must all agree with it.
/// </summary>
public sealed class FunctionCatalogTests(GatewayApp local, HostModeApp hosted) : IClassFixture<GatewayApp>, IClassFixture<HostModeApp>
{
    private static IEnumerable<HttpFunction> RoutedFunctions => Functions.All.OfType<HttpFunction>().Where(f => !f.IsCatchAll);

    private sealed record MappedEndpoint(string Route, IReadOnlyList<string> Methods, HttpFunction? Function, int FunctionTags, bool Documented);

    private static IReadOnlyList<MappedEndpoint> Endpoints(IServiceProvider services) =>
    [
        .. services.GetRequiredService<EndpointDataSource>().Endpoints.Select(endpoint =>
        {
            var route = Assert.IsType<RouteEndpoint>(endpoint);
            var methods = route.Metadata.GetMetadata<HttpMethodMetadata>();
            Assert.True(methods is not null, $"{route.RoutePattern.RawText} is mapped for every method; each endpoint names its methods.");
            return new MappedEndpoint(
                route.RoutePattern.RawText!.TrimStart('/'),
                [.. methods.HttpMethods.Order(StringComparer.Ordinal)],
                route.Metadata.GetMetadata<HttpFunction>(),
                route.Metadata.GetOrderedMetadata<HttpFunction>().Count,
                route.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription != true);
        }),
    ];

    [Fact]
    public void EveryHttpEndpointIsTheRouteAndMethodsOfExactlyOneHttpFunction()
    {
        var endpoints = Endpoints(local.Services);

        foreach (var endpoint in endpoints.Where(e => e.Function is not null))
        {
            var function = endpoint.Function!;
            Assert.Contains(function, Functions.All);
            Assert.Equal(1, endpoint.FunctionTags);
            Assert.Equal(function.Route, endpoint.Route);
            Assert.Equal([.. function.Methods.Order(StringComparer.Ordinal)], endpoint.Methods);
        }
        foreach (var function in Functions.All.OfType<HttpFunction>())
        {
            Assert.Equal(function.IsCatchAll ? 0 : 1, endpoints.Count(e => Equals(e.Function, function)));
        }
        Assert.Single(Functions.All.OfType<HttpFunction>(), f => f.IsCatchAll);
        Assert.Equal(Functions.All.Count, Functions.All.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Routing ignores case and parameter names: api/v1/user/{id} and API/v1/user/{userId} would be the same route.
        var pairs = RoutedFunctions.SelectMany(f => f.Methods.Select(m =>
            (Method: m.ToUpperInvariant(), Route: System.Text.RegularExpressions.Regex.Replace(f.Route.ToLowerInvariant(), @"\{[^}]*\}", "{}")))).ToList();
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
    }

    /// <summary>
    /// The rule for endpoints that are no function: locally exactly the admin endpoint (POST admin/functions/{name});
    /// under the host exactly the protocol (GET / and POST /{Name} per queue and timer function). None is documented.
    /// </summary>
    [Fact]
    public void TheOnlyEndpointsThatAreNoFunctionAreTheAdminEndpointLocallyAndTheHostProtocolUnderTheHost()
    {
        static IReadOnlyList<string> Untagged(IServiceProvider services) =>
            [.. Endpoints(services).Where(e => e.Function is null).Select(e => $"{string.Join(',', e.Methods)} {e.Route}").Order(StringComparer.Ordinal)];

        Assert.Equal(["POST admin/functions/{name}"], Untagged(local.Services));

        var hostFunctions = Functions.All.Where(f => f is QueueFunction or TimerFunction).Select(f => $"POST {f.Name}");
        Assert.Equal([.. hostFunctions.Append("GET ").Order(StringComparer.Ordinal)], Untagged(hosted.Services));

        Assert.All(Endpoints(local.Services).Concat(Endpoints(hosted.Services)).Where(e => e.Function is null),
            e => Assert.False(e.Documented, $"{e.Route} is not part of the API and must not be in the OpenAPI document."));
        Assert.Equal(Endpoints(local.Services).Where(e => e.Function is not null).Select(e => e.Function!.Name).Order(),
            Endpoints(hosted.Services).Where(e => e.Function is not null).Select(e => e.Function!.Name).Order());
    }

    [Fact]
    public void FunctionManifestWritesOneFunctionJsonPerFunctionAndRemovesStaleFunctions()
    {
        var root = TempDirectory();
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "RetiredFunction"));
            File.WriteAllText(Path.Combine(root, "RetiredFunction", "function.json"), "{}");
            Directory.CreateDirectory(Path.Combine(root, "runtimes"));
            File.WriteAllText(Path.Combine(root, "runtimes", "keep.txt"), "not a function");
            File.WriteAllText(Path.Combine(root, "host.json"), "{}");

            FunctionManifest.Write(root, Functions.All);

            var folders = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "function.json"))).Select(Path.GetFileName);
            Assert.Equal(Functions.All.Select(f => f.Name).Order(StringComparer.Ordinal), folders.Order(StringComparer.Ordinal));
            Assert.True(File.Exists(Path.Combine(root, "runtimes", "keep.txt")), "Folders that are no function are left alone.");
            Assert.Equal("{}", File.ReadAllText(Path.Combine(root, "host.json")));
            foreach (var function in Functions.All)
            {
                var written = JsonNode.Parse(File.ReadAllText(Path.Combine(root, function.Name, "function.json")))!;
                Assert.True(JsonNode.DeepEquals(ExpectedFunctionJson(function), written), $"{function.Name}/function.json is {written.ToJsonString()}");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task ThePublishStepsWriteFunctionsCommandWritesTheSameFilesAsTheManifest()
    {
        var (fromCli, fromCode) = (TempDirectory(), TempDirectory());
        try
        {
            await using var process = GatewayProcess.Start(new Dictionary<string, string?>(), "write-functions", fromCli);
            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, $"write-functions failed:\n{process.Output}");
            FunctionManifest.Write(fromCode, Functions.All);

            static IEnumerable<string> Files(string root) =>
                Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal);
            Assert.Equal(Functions.All.Select(f => Path.Combine(f.Name, "function.json")).Order(StringComparer.Ordinal), Files(fromCli));
            foreach (var file in Files(fromCode))
            {
                Assert.Equal(File.ReadAllText(Path.Combine(fromCode, file)), File.ReadAllText(Path.Combine(fromCli, file)));
            }
        }
        finally
        {
            Directory.Delete(fromCli, recursive: true);
            Directory.Delete(fromCode, recursive: true);
        }
    }

    [Fact]
    public void EveryTimerScheduleParsesAndHasAnOccurrenceAndEveryHandlerResolves()
    {
        var timers = Functions.All.OfType<TimerFunction>().ToList();
        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            Assert.NotNull(CronSchedule.Parse(timer.Schedule).NextAfter(DateTimeOffset.UtcNow));
        }

        using var scope = local.Services.CreateScope();
        foreach (var function in Functions.All.Where(f => f is QueueFunction or TimerFunction))
        {
            var handler = scope.ServiceProvider.GetRequiredService(HostingSetup.HandlerType(function)!);
            Assert.IsAssignableFrom(function is QueueFunction ? typeof(IQueueFunction) : typeof(ITimerFunction), handler);
        }
    }

    [Fact]
    public void TheLocalQueueSettingsAreHostJsons()
    {
        var options = local.Service<IOptions<QueueHostOptions>>().Value;

        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "host.json")));
        var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("maxPollingInterval").GetString()!), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!), options.VisibilityTimeout);
        Assert.Equal(queues.GetProperty("batchSize").GetInt32(), options.BatchSize);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), options.MaxDequeueCount);
        Assert.Equal(queues.GetProperty("messageEncoding").GetString(), options.MessageEncoding);
    }

    [Fact]
    public async Task TheOpenApiDocumentListsEveryRoutedHttpFunctionAndNothingElse()
    {
        using var client = local.CreateClient();
        var document = await (await client.GetAsync("/openapi/v1.json")).JsonAsync(200);

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch" or "head" or "options")
                .Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order(StringComparer.Ordinal);
        var functions = RoutedFunctions.Where(f => f != Functions.OpenApiDocument)
            .SelectMany(f => f.Methods.Select(m => $"{m.ToUpperInvariant()} /{f.Route}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(functions, documented);
    }

    private static JsonNode ExpectedFunctionJson(FunctionDefinition function) => new JsonObject
    {
        ["bindings"] = function switch
        {
            HttpFunction http => new JsonArray(
                new JsonObject
                {
                    ["type"] = "httpTrigger", ["direction"] = "in", ["name"] = "req", ["authLevel"] = "anonymous",
                    ["methods"] = new JsonArray([.. http.Methods.Select(m => JsonValue.Create(m.ToLowerInvariant()))]),
                    ["route"] = http.Route,
                },
                new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            QueueFunction queue => new JsonArray(new JsonObject
            {
                ["type"] = "queueTrigger", ["direction"] = "in", ["name"] = "message",
                ["queueName"] = queue.QueueName, ["connection"] = "AzureWebJobsStorage",
            }),
            TimerFunction timer => new JsonArray(new JsonObject
            {
                ["type"] = "timerTrigger", ["direction"] = "in", ["name"] = "timer",
                ["schedule"] = timer.Schedule, ["runOnStartup"] = false, ["useMonitor"] = true,
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        },
    };

    private static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "gateway-functions-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
