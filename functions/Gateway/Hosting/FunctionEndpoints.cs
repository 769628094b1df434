using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Api;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

public static class FunctionEndpoints
{
    /// <summary>Maps an HTTP function's handler at its route and methods, tagged with its definition.</summary>
    public static RouteHandlerBuilder MapFunction(this IEndpointRouteBuilder app, HttpFunction function, Delegate handler) =>
        app.MapMethods("/" + function.Route, function.Methods, handler)
            .WithName(function.Name)
            .WithMetadata(function);

    /// <summary>Tags an endpoint that a framework helper mapped (e.g. the OpenAPI document) with its function.</summary>
    public static TBuilder WithFunction<TBuilder>(this TBuilder builder, HttpFunction function)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(function);

    /// <summary>
    /// What the Functions host talks to besides forwarded HTTP requests: <c>GET /</c>, which it polls until the
    /// handler is up, and <c>POST /{FunctionName}</c> envelopes for queue and timer functions.
    /// </summary>
    public static void MapFunctionsHostProtocol(this WebApplication app, FunctionRegistry registry)
    {
        app.MapGet("/", () => TypedResults.Ok(new { status = "ready" })).ExcludeFromDescription();

        foreach (var function in registry.QueueFunctions)
        {
            MapInvocation(app, function.Name, async (envelope, invoker, aborted) =>
            {
                var message = InvocationEnvelope.ReadQueue(envelope, out var problem);
                if (message is null) return Outcome.Invalid(problem!);
                await invoker.RunQueueAsync(function, message, aborted);
                return new Outcome("completed");
            });
        }
        foreach (var function in registry.TimerFunctions)
        {
            MapInvocation(app, function.Name, async (envelope, invoker, aborted) =>
            {
                var timer = InvocationEnvelope.ReadTimer(envelope, out var problem);
                if (timer is null) return Outcome.Invalid(problem!);
                return new Outcome(await invoker.TryRunTimerAsync(function, timer, aborted) ? "completed" : "skipped: the previous run is still in progress");
            });
        }
    }

    /// <summary>
    /// Locally there is no Functions host, so the app serves the host's admin endpoint itself: run a queue or
    /// timer function now, authorised by the functions admin key (compared in constant time).
    /// </summary>
    public static void MapLocalAdminEndpoint(this WebApplication app)
    {
        app.MapPost("/admin/functions/{name}", async (string name, HttpContext context, FunctionRegistry registry,
            LocalFunctionRuns runs, IOptions<FunctionsHostingOptions> options) =>
        {
            var expected = options.Value.AdminKey;
            var presented = context.Request.Headers["x-functions-key"].ToString();
            if (string.IsNullOrEmpty(expected) || !CryptographicOperations.FixedTimeEquals(
                    Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
            {
                throw ApiException.Unauthorized("A valid x-functions-key header is required.");
            }

            var input = await ReadAdminInputAsync(context);
            return registry.Find(name) switch
            {
                QueueFunction queue => Accepted(runs.Start(queue, input ?? "")),
                TimerFunction timer => Accepted(runs.Start(timer)),
                _ => throw ApiException.NotFound($"There is no queue or timer function named '{name}'."),
            };
        }).ExcludeFromDescription();

        static IResult Accepted(bool started) => started
            ? TypedResults.Accepted((string?)null)
            : throw ApiException.Conflict("That timer is already running.");
    }

    /// <summary>
    /// <c>POST /{name}</c>: parses the envelope and runs the function. <paramref name="run"/> returns the outcome for
    /// the invocation log (200), or a problem with the envelope (400); a failing function is a 500.
    /// Non-2xx tells the host the invocation failed, so it retries queue messages.
    /// </summary>
    private static void MapInvocation(WebApplication app, string functionName, Func<JsonElement, FunctionInvoker, CancellationToken, Task<Outcome>> run) =>
        app.MapPost("/" + functionName, async Task<IResult> (HttpContext context, FunctionInvoker invoker) =>
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                var outcome = await run(document.RootElement, invoker, context.RequestAborted);
                return outcome.Problem is null
                    ? TypedResults.Ok(InvocationEnvelope.Completed($"{functionName} {outcome.Log}."))
                    : TypedResults.BadRequest(InvocationEnvelope.Completed($"{functionName}: {outcome.Problem}"));
            }
            catch (JsonException)
            {
                return TypedResults.BadRequest(InvocationEnvelope.Completed($"{functionName}: the invocation body is not JSON."));
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                // Already logged with its stack by the invoker; the host only needs to know it failed.
                return TypedResults.Json(InvocationEnvelope.Completed($"{functionName} failed: {ex.GetType().Name}"),
                    statusCode: StatusCodes.Status500InternalServerError);
            }
        }).ExcludeFromDescription();

    private sealed record Outcome(string Log, string? Problem = null)
    {
        public static Outcome Invalid(string problem) => new("", problem);
    }

    /// <summary>The admin endpoint's body is <c>{"input": "..."}</c>, optional, as on the Functions host.</summary>
    private static async Task<string?> ReadAdminInputAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.TransferEncoding.Any()))
        {
            return null;
        }
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("input", out var input)
                ? input.ValueKind == JsonValueKind.String ? input.GetString() : input.GetRawText()
                : null;
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest("input", "The body must be JSON: {\"input\": \"...\"}.");
        }
    }
}
