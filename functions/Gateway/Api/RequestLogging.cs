using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gateway.Api;

/// <summary>The JSON conventions of the v1 API: snake_case names, nulls written out as the documents show them.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        return options;
    }
}

/// <summary>
/// Gives every request an id: the caller's <c>X-Request-Id</c> when it is a sane token, else a new one. It is
/// echoed on every response (also errors) and put in a log scope, so every log line of the request carries it.
/// One summary line per request: method, route pattern and path, status, duration — never query strings, headers
/// or bodies, which can hold passwords, tokens and card data.
/// </summary>
public static partial class RequestLogging
{
    public const string Header = "X-Request-Id";

    public static void UseRequestIds(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Requests");
        app.Use(async (context, next) =>
        {
            var incoming = context.Request.Headers[Header].ToString();
            var requestId = SafeId().IsMatch(incoming) ? incoming : Guid.NewGuid().ToString("N");
            context.TraceIdentifier = requestId;
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[Header] = requestId;
                return Task.CompletedTask;
            });

            using var scope = logger.BeginScope("RequestId:{RequestId}", requestId);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                logger.LogInformation("HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms",
                    context.Request.Method, Loggable(context.Request.Path), context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }

    /// <summary>An express link's path is itself a bearer credential (it pays), so its code is never logged.</summary>
    private static string? Loggable(PathString path) =>
        path.StartsWithSegments("/u", StringComparison.Ordinal) ? "/u/{code}" : path.Value;

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,128}$")]
    private static partial Regex SafeId();
}
