using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The <c>[Function]</c> attributes are the one list of functions. What the Functions host will run is the
/// functions.metadata the SDK generated from them at build time; these tests prove that the local host serves,
/// polls and schedules exactly that, that the OpenAPI description documents exactly its HTTP functions, and that no
/// two routes can match the same request, whichever host routes it.
/// </summary>
public sealed partial class FunctionCatalogTests(GatewayApp local) : IClassFixture<GatewayApp>
{
    private static readonly FunctionCatalog Catalog = FunctionCatalog.Gateway;

    private static IEnumerable<HttpFunctionInfo> Routed => Catalog.Http.Where(f => !f.IsCatchAll);

    /// <summary>Where the build writes functions.metadata: next to the Gateway project's build output.</summary>
    internal static string MetadataPath()
    {
        // The tests run from tests/Gateway.Tests/bin/{Configuration}/{tfm}; the app builds to functions/Gateway/bin/...
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "functions", "Gateway", "bin",
            output.Parent!.Name, output.Name, "functions.metadata");
    }

    /// <summary>The build's functions.metadata: the SDK's list of functions.</summary>
    private static JsonElement[] Metadata()
    {
        var path = MetadataPath();
        Assert.True(File.Exists(path), $"The build writes {path}.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger"));

    [Fact]
    public void TheGeneratedMetadataHoldsExactlyTheCatalogsFunctionsWithTheirTriggers()
    {
        var metadata = Metadata();

        Assert.Equal(Catalog.All.Select(f => f.Name).Order(StringComparer.Ordinal),
            metadata.Select(m => m.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        foreach (var entry in metadata)
        {
            var function = Catalog.Find(entry.GetProperty("name").GetString()!)!;
            Assert.Equal(function.EntryPoint, entry.GetProperty("entryPoint").GetString());
            Assert.Equal("dotnet-isolated", entry.GetProperty("language").GetString());
            Assert.Equal("Gateway.dll", entry.GetProperty("scriptFile").GetString());
            var trigger = Trigger(entry);
            switch (function)
            {
                case HttpFunctionInfo http:
                    Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString());
                    Assert.Equal(http.Route, trigger.GetProperty("route").GetString());
                    Assert.Equal(http.Methods.Order(StringComparer.Ordinal),
                        trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant())
                            .Order(StringComparer.Ordinal));
                    break;
                case QueueFunctionInfo queue:
                    Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(queue.QueueName, trigger.GetProperty("queueName").GetString());
                    Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
                    break;
                case TimerFunctionInfo timer:
                    Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(timer.Schedule, trigger.GetProperty("schedule").GetString());
                    Assert.Equal(timer.UseMonitor, trigger.GetProperty("useMonitor").GetBoolean());
                    break;
            }
        }
        // The issue's examples, spelled out: the API's routes are HTTP triggers with their public route and method.
        var payDirect = Trigger(metadata.Single(m => m.GetProperty("name").GetString() == "PayDirect"));
        Assert.Equal("api/v1/pay/direct", payDirect.GetProperty("route").GetString());
        Assert.Equal(["post"], payDirect.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(["CollectionsBankResults", "NotificationSender", "WebhookDelivery"], Catalog.Queues.Select(q => q.Name).Order());
        Assert.Equal(["CashierRunner", "CollectionsSubmission", "PaymentScheduleRunner", "PaymentSweep", "TokenSweep", "WebhookSweep"], Catalog.Timers.Select(q => q.Name).Order());
    }

    [Fact]
    public void TheLocalHostRoutesEveryHttpFunctionAtItsRouteAndMethodsAndOnlyAddsTheAdminEndpoint()
    {
        var endpoints = local.Services.GetRequiredService<IEnumerable<EndpointDataSource>>()
            .SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Route: e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods,
                Function: e.Metadata.GetMetadata<HttpFunctionInfo>()))
            .ToList();

        var served = endpoints.Where(e => e.Function is not null).ToList();
        Assert.Equal(Catalog.Http.Select(f => f.Name).Order(), served.Select(e => e.Function!.Name).Order());
        Assert.All(served, e =>
        {
            Assert.Equal(e.Function!.Route, e.Route);
            Assert.Equal(e.Function.Methods.Order(), e.Methods.Order());
        });
        Assert.Equal(["admin/functions/{name}"], endpoints.Where(e => e.Function is null).Select(e => e.Route));
    }

    [Fact]
    public void TheLocalHostPollsAndSchedulesEveryQueueAndTimerFunctionAsTheHostWould()
    {
        var registry = local.Service<FunctionRegistry>();
        var settings = local.Service<Microsoft.Extensions.Configuration.IConfiguration>();

        // A function is switched off as on the host, by AzureWebJobs.{Name}.Disabled; this app leaves webhook
        // delivery to the tests that drain it.
        var disabled = Catalog.All.Where(f => settings[$"AzureWebJobs.{f.Name}.Disabled"] == "true").Select(f => f.Name);
        Assert.Equal(["WebhookDelivery"], disabled);
        Assert.Equal(Catalog.Queues.Select(q => q.Name).Except(disabled).Order(), registry.QueueFunctions.Select(q => q.Name).Order());
        foreach (var queue in registry.QueueFunctions)
        {
            // %Setting% is resolved from configuration, as the host resolves it from the app settings.
            Assert.Equal(settings[queue.Info.QueueName.Trim('%')], queue.QueueName);
        }
        Assert.Equal(Catalog.Timers.Select(t => t.Name).Order(), registry.TimerFunctions.Select(t => t.Name).Order());
        foreach (var timer in registry.TimerFunctions)
        {
            // The same firings (NCrontab prints a schedule in its own canonical form, so compare what it means).
            var declared = NCrontab.CrontabSchedule.Parse(timer.Info.Schedule,
                new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true });
            var day = new DateTime(2026, 12, 4, 0, 0, 0, DateTimeKind.Utc);
            Assert.Equal(declared.GetNextOccurrences(day, day.AddDays(1)), timer.Schedule.GetNextOccurrences(day, day.AddDays(1)));
            Assert.NotEmpty(timer.Schedule.GetNextOccurrences(day, day.AddDays(1)));
        }
    }

    [Fact]
    public void TheLocalQueueSettingsAreHostJsons()
    {
        var options = local.Service<IOptions<QueueHostOptions>>().Value;

        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "host.json")));
        Assert.False(hostJson.RootElement.TryGetProperty("customHandler", out _));
        var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("maxPollingInterval").GetString()!), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!), options.VisibilityTimeout);
        Assert.Equal(queues.GetProperty("batchSize").GetInt32(), options.BatchSize);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), options.MaxDequeueCount);
        Assert.Equal(queues.GetProperty("messageEncoding").GetString(), options.MessageEncoding);
        Assert.Equal("", hostJson.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryDocumentedHttpFunctionAndNothingElse()
    {
        using var client = local.CreateClient();
        var document = await (await client.GetAsync("/openapi/v1.json")).JsonAsync(200);

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch")
                .Select(operation => (Operation: $"{operation.Name.ToUpperInvariant()} {path.Name}",
                    Id: operation.Value.GetProperty("operationId").GetString())))
            .ToList();
        var functions = Routed.Where(f => f.Name != "OpenApiDocument")
            .SelectMany(f => f.Methods.Select(m => $"{m} /{Constraint().Replace(f.Route, "}")}"));
        Assert.Equal(functions.Order(StringComparer.Ordinal), documented.Select(d => d.Operation).Order(StringComparer.Ordinal));
        // Operation ids are the functions' names: unique, and the same names the host and its logs use.
        Assert.All(documented, d => Assert.NotNull(Catalog.Find(d.Id!)));
        Assert.Equal(documented.Count, documented.Select(d => d.Id).Distinct().Count());
    }

    /// <summary>
    /// The Functions host and ASP.NET Core may order routes differently, so no request may depend on the order:
    /// for every two functions sharing a method, a path shaped to fit both (each parameter takes the other route's
    /// literal, or a value both constraints accept) must be refused by at least one of them. Only the catch-all,
    /// which both hosts try last, overlaps others.
    /// </summary>
    [Fact]
    public void NoTwoRoutesCanMatchTheSameRequest()
    {
        var overlaps = new List<string>();
        var routes = Routed.ToList();
        for (var i = 0; i < routes.Count; i++)
        {
            for (var j = i + 1; j < routes.Count; j++)
            {
                var (a, b) = (routes[i], routes[j]);
                if (!a.Methods.Intersect(b.Methods).Any()) continue;
                foreach (var path in Witnesses(a.Route, b.Route))
                {
                    if (new RouteMatcher(a.Route).Matches(path) && new RouteMatcher(b.Route).Matches(path))
                    {
                        overlaps.Add($"{a.Name} ({a.Route}) and {b.Name} ({b.Route}) both match {path}");
                    }
                }
            }
        }
        Assert.Empty(overlaps);
        Assert.Single(Catalog.Http, f => f.IsCatchAll);
    }

    [Fact]
    public void TheOverlapCheckFindsRoutesThatOverlap()
    {
        Assert.Contains(Witnesses("api/v1/user/{id}", "api/v1/{kind}/7"), p => new RouteMatcher("api/v1/user/{id}").Matches(p)
            && new RouteMatcher("api/v1/{kind}/7").Matches(p));
        Assert.DoesNotContain(Witnesses("api/v1/user/{id:long}", "api/v1/user/me"), p =>
            new RouteMatcher("api/v1/user/{id:long}").Matches(p) && new RouteMatcher("api/v1/user/me").Matches(p));
    }

    /// <summary>Paths that fit both templates segment by segment, if they have as many segments.</summary>
    private static IEnumerable<PathString> Witnesses(string a, string b)
    {
        var (left, right) = (TemplateParser.Parse(a).Segments, TemplateParser.Parse(b).Segments);
        if (left.Count != right.Count) yield break;
        foreach (var sample in new[] { "1", "x" })
        {
            var segments = left.Zip(right, (l, r) => Literal(l) ?? Literal(r) ?? sample);
            yield return new PathString("/" + string.Join('/', segments));
        }

        static string? Literal(TemplateSegment segment) => segment.Parts is [{ IsLiteral: true } part] ? part.Text : null;
    }

    [Fact]
    public void EveryFunctionClassResolvesFromTheWorkersContainerAsTheWorkerCreatesIt()
    {
        using var worker = HostingSetup.BuildWorker(
            ["--functions-uri", "http://127.0.0.1:1/", "--AzureWebJobsStorage", local.Azurite.ConnectionString]);
        using var scope = worker.Services.CreateScope();

        foreach (var type in Catalog.All.Select(f => f.Method.DeclaringType!).Distinct())
        {
            Assert.IsType(type, ActivatorUtilities.CreateInstance(scope.ServiceProvider, type));
        }
        Assert.Same(Catalog, worker.Services.GetRequiredService<FunctionCatalog>());
    }

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex Constraint();
}
