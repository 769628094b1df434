using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Api;
using Gateway.Cards;
using Gateway.Cashier;
using Gateway.Codes;
using Gateway.Collections;
using Gateway.Express;
using Gateway.Identity;
using Gateway.MerchantConsole;
using Gateway.Notifications;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Gateway.Webhooks;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// The two hosts of the same functions. Under the Functions host this executable is its .NET isolated worker: the host
/// routes HTTP requests, polls queues and fires timers, and invokes the <c>[Function]</c> methods here. On its own
/// (<c>./run.sh</c>, the tests) it is its own local host: Kestrel and ASP.NET Core routing for the HTTP functions, a
/// queue listener and timers with the host's semantics, and the host's admin endpoint.
/// </summary>
public static class HostingSetup
{
    public const string LocalPortVariable = "GATEWAY_PORT";
    public const int DefaultLocalPort = 7071;

    /// <summary>The Functions host starts its worker with the address of its gRPC endpoint.</summary>
    public static bool UnderFunctionsHost(string[] args) => args.Contains("--functions-uri", StringComparer.Ordinal);

    /// <summary>Everything the functions need, in both hosts.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddGatewayPlatform(configuration);
        services.AddGatewayApi();
        services.AddGatewayIdentity();
        services.AddGatewayPayments();
        services.AddGatewayCards();
        services.AddGatewaySchedules();
        services.AddGatewayWebhooks();
        services.AddGatewayExpress();
        services.AddGatewayCodes();
        services.AddGatewayCashier();
        services.AddGatewayCollections();
        services.AddGatewayConsole();
        services.AddGatewayNotifications();
        services.AddSingleton(FunctionCatalog.Gateway);
        services.AddSingleton<HttpFunctionPipeline>();
        services.AddSingleton<OpenApiDescription>();
        return services;
    }

    /// <summary>The .NET isolated worker the Functions host runs, with the HTTP functions' pipeline as worker middleware.</summary>
    public static IHost BuildWorker(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<HttpFunctionMiddleware>();
        builder.Services.AddGateway(builder.Configuration);
        return builder.Build();
    }

    /// <summary>The local host: the same functions served, polled and scheduled by this process itself.</summary>
    public static WebApplication BuildLocal(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The app's own folder (appsettings.json, host.json), wherever it is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Azurite unless told otherwise, below every other source. Only here: a deployed worker must never fall back
        // to the emulator when the host reaches storage by identity.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = [new(StorageConnection.SettingName, "UseDevelopmentStorage=true")],
        });
        var port = builder.Configuration[LocalPortVariable] is { Length: > 0 } local ? ParsePort(local) : DefaultLocalPort;
        builder.WebHost.UseUrls($"http://localhost:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        var services = builder.Services;
        services.AddGateway(builder.Configuration);
        services.AddSingleton(sp => new HttpFunctionEndpoints(sp.GetRequiredService<FunctionCatalog>(), sp, forRouting: true));
        services.AddSingleton<FunctionRegistry>();
        services.AddSingleton<FunctionInvoker>();
        services.AddOptions<QueueHostOptions>()
            .Configure(o => QueueHostOptions.LoadFromHostJson(o, Path.Combine(AppContext.BaseDirectory, "host.json")))
            .Validate(o => !QueueHostOptions.Validate(o).Any(), "host.json extensions.queues has invalid settings.")
            .ValidateOnStart();
        services.AddOptions<FunctionsHostingOptions>().BindConfiguration(FunctionsHostingOptions.Section);
        services.AddHostedService<LocalQueueListener>();
        services.AddHostedService<LocalTimerScheduler>();
        services.AddSingleton<LocalFunctionRuns>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalFunctionRuns>());

        var app = builder.Build();
        var pipeline = app.Services.GetRequiredService<HttpFunctionPipeline>();
        // Every request gets an id and a log line, also those no function serves.
        app.Use((context, next) =>
        {
            pipeline.Start(context);
            return next(context);
        });
        // Routing misses outside /api (the catch-all function answers those under it), in the API's error shape.
        app.UseStatusCodePages(context => ErrorHandling.WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode,
            ErrorHandling.MessageFor(context.HttpContext.Response)));
        ((IEndpointRouteBuilder)app).DataSources.Add(app.Services.GetRequiredService<HttpFunctionEndpoints>());
        app.MapLocalAdminEndpoint();
        return app;
    }

    /// <summary>
    /// There is no Functions host locally, so the app serves the host's admin endpoint itself: run a queue or timer
    /// function now, authorised by the functions admin key (compared in constant time). A plain request delegate:
    /// a route handler would be compiled by RequestDelegateFactory at start-up.
    /// </summary>
    private static void MapLocalAdminEndpoint(this WebApplication app) =>
        app.MapPost("/admin/functions/{name}", async context =>
        {
            var answer = await RunAdminAsync(context, (string)context.Request.RouteValues["name"]!);
            await answer.ExecuteAsync(context);
        }).ExcludeFromDescription();

    private static async Task<IResult> RunAdminAsync(HttpContext context, string name)
    {
        var expected = context.RequestServices.GetRequiredService<IOptions<FunctionsHostingOptions>>().Value.AdminKey;
        var presented = context.Request.Headers["x-functions-key"].ToString();
        if (string.IsNullOrEmpty(expected) || !CryptographicOperations.FixedTimeEquals(
                Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
        {
            return ErrorResult(StatusCodes.Status401Unauthorized, "A valid x-functions-key header is required.");
        }

        string? input;
        try
        {
            input = await ReadAdminInputAsync(context);
        }
        catch (JsonException)
        {
            return ErrorResult(StatusCodes.Status400BadRequest, "input: The body must be JSON: {\"input\": \"...\"}.");
        }
        var registry = context.RequestServices.GetRequiredService<FunctionRegistry>();
        var runs = context.RequestServices.GetRequiredService<LocalFunctionRuns>();
        if (registry.FindQueue(name) is { } queue)
        {
            runs.Start(queue, input ?? "");
            return Results.Accepted();
        }
        if (registry.FindTimer(name) is { } timer)
        {
            return runs.Start(timer)
                ? Results.Accepted()
                : ErrorResult(StatusCodes.Status409Conflict, "That timer is already running.");
        }
        return ErrorResult(StatusCodes.Status404NotFound, $"There is no queue or timer function named '{name}'.");

        static IResult ErrorResult(int status, string message) => new ErrorHandling.ErrorResult(status, message);
    }

    /// <summary>The admin endpoint's body is <c>{"input": "..."}</c>, optional, as on the Functions host.</summary>
    private static async Task<string?> ReadAdminInputAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.TransferEncoding.Any()))
        {
            return null;
        }
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("input", out var input)
            ? input.ValueKind == JsonValueKind.String ? input.GetString() : input.GetRawText()
            : null;
    }

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{LocalPortVariable} must be a TCP port number, not '{value}'.");
}
