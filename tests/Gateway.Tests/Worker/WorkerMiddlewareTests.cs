using System.Text.Json;
using Gateway.Api;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Worker;

/// <summary>
/// The worker middleware as the Functions host runs it: a mocked <see cref="FunctionContext"/> carrying the request's
/// <c>HttpContext</c> as the ASP.NET Core integration does, and the app's real services (storage on Azurite). The
/// local host runs the same pipeline from its endpoint filter; these prove the worker's path gives the same answers.
/// </summary>
public sealed class WorkerMiddlewareTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private const string Health = "Gateway.Hosting.HealthApi.Health";
    private const string Constants = "Gateway.Identity.ConstantsApi.ConstantsView";

    private HttpFunctionMiddleware Middleware() =>
        new(app.Service<FunctionCatalog>(), app.Service<HttpFunctionPipeline>());

    private DefaultHttpContext Request(IServiceScope scope, string path, string? requestId = null)
    {
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "GET";
        http.Request.Path = path;
        if (requestId is not null) http.Request.Headers[HttpFunctionPipeline.RequestIdHeader] = requestId;
        http.Response.Body = new MemoryStream();
        return http;
    }

    private static ApiError ErrorOf(HttpContext http)
    {
        http.Response.Body.Position = 0;
        return JsonSerializer.Deserialize<ApiError>(http.Response.Body)!;
    }

    [Fact]
    public async Task AnExceptionFromTheFunctionBecomesTheErrorObjectNamingTheRequestId()
    {
        using var scope = app.Services.CreateScope();
        var http = Request(scope, "/api/health", requestId: "worker-test-0001");
        var context = FunctionContexts.For(Health, http, out var result);

        await Middleware().Invoke(context.Object, _ => throw new InvalidOperationException("the function failed"));

        Assert.Equal(500, http.Response.StatusCode);
        var error = ErrorOf(http);
        Assert.Equal(500, error.Status);
        Assert.Contains("worker-test-0001", error.Message);
        Assert.DoesNotContain("the function failed", error.Message);
        Assert.Equal("worker-test-0001", http.TraceIdentifier);
        // The answer is written; the integration is left an empty result to execute.
        Assert.IsAssignableFrom<IResult>(result.Value);
        Assert.Contains(app.Logs.Lines, l => l.Level == LogLevel.Error && l.Exception!.Contains("the function failed")
            && l.Scope.GetValueOrDefault("RequestId") == "worker-test-0001");
    }

    [Fact]
    public async Task AnApiExceptionKeepsItsStatusAndMessage()
    {
        using var scope = app.Services.CreateScope();
        var http = Request(scope, "/api/health");
        var context = FunctionContexts.For(Health, http, out _);

        await Middleware().Invoke(context.Object, _ => throw ApiException.Conflict("Already refunded."));

        Assert.Equal(409, http.Response.StatusCode);
        Assert.Equal(("Conflict", "Already refunded."), (ErrorOf(http).Name, ErrorOf(http).Message));
    }

    [Fact]
    public async Task TheFunctionsAuthorizationRunsBeforeItAndRefusesAnUnauthenticatedCaller()
    {
        using var scope = app.Services.CreateScope();
        var http = Request(scope, "/api/v1/constants");
        var context = FunctionContexts.For(Constants, http, out _);
        var invoked = false;

        await Middleware().Invoke(context.Object, _ =>
        {
            invoked = true;
            return Task.CompletedTask;
        });

        Assert.False(invoked);
        Assert.Equal(401, http.Response.StatusCode);
        Assert.Equal(401, ErrorOf(http).Status);
    }

    [Fact]
    public async Task TheFunctionsResultIsWrittenByThePipelineAndReplacedByAnEmptyOne()
    {
        using var scope = app.Services.CreateScope();
        var http = Request(scope, "/api/health");
        var context = FunctionContexts.For(Health, http, out var result);
        var answer = TypedResults.Ok(new { status = "from the function" });

        await Middleware().Invoke(context.Object, _ =>
        {
            result.Value = answer;
            return Task.CompletedTask;
        });

        Assert.Equal(200, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        var body = JsonDocument.Parse(http.Response.Body).RootElement;
        Assert.Equal("from the function", body.GetProperty("status").GetString());
        Assert.NotSame(answer, result.Value);
        Assert.Equal(Results.Empty, result.Value);
    }

    [Fact]
    public async Task ATimerOrQueueFunctionPassesStraightThrough()
    {
        var context = FunctionContexts.For("Gateway.Identity.TokenSweep.Run", http: null, out var result);
        var invoked = 0;

        await Middleware().Invoke(context.Object, _ =>
        {
            invoked++;
            result.Value = "untouched";
            return Task.CompletedTask;
        });

        Assert.Equal(1, invoked);
        Assert.Equal("untouched", result.Value);
    }
}
