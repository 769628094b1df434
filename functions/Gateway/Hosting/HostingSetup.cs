using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Hosting;

/// <summary>
/// The two ways this executable runs. Under the Functions host (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set) it
/// listens on 127.0.0.1 at that port and the host drives queues and timers through invocation envelopes.
/// On its own it serves HTTP on localhost:7071 (<c>GATEWAY_PORT</c> overrides) and polls queues and fires timers
/// itself, with host.json's semantics, and serves the host's admin endpoint for running a function now.
/// </summary>
public static class HostingSetup
{
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string LocalPortVariable = "GATEWAY_PORT";
    public const int DefaultLocalPort = 7071;

    public static bool UnderFunctionsHost(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[CustomHandlerPortVariable]);

    public static WebApplicationBuilder AddGatewayHosting(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var underHost = UnderFunctionsHost(configuration);
        var port = underHost
            ? ParsePort(configuration[CustomHandlerPortVariable]!, CustomHandlerPortVariable)
            : configuration[LocalPortVariable] is { Length: > 0 } local ? ParsePort(local, LocalPortVariable) : DefaultLocalPort;
        builder.WebHost.UseUrls(underHost ? $"http://127.0.0.1:{port}" : $"http://localhost:{port}");

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        foreach (var function in Functions.All) services.AddSingleton(function);
        foreach (var handler in Functions.All.Select(HandlerType).OfType<Type>()) services.TryAddScoped(handler);
        services.AddSingleton<FunctionRegistry>();
        services.AddSingleton<FunctionInvoker>();

        services.AddOptions<QueueHostOptions>()
            .Configure(o => QueueHostOptions.LoadFromHostJson(o, Path.Combine(AppContext.BaseDirectory, "host.json")))
            .Validate(o => !QueueHostOptions.Validate(o).Any(), "host.json extensions.queues has invalid settings.")
            .ValidateOnStart();
        services.AddOptions<FunctionsHostingOptions>().BindConfiguration(FunctionsHostingOptions.Section);

        // Registered in both modes; they stand down under the host. The mode is read when they start, from the final
        // configuration, so a test host can choose it.
        services.AddHostedService<LocalQueueListener>();
        services.AddHostedService<LocalTimerScheduler>();
        services.AddSingleton<LocalFunctionRuns>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalFunctionRuns>());
        return builder;
    }

    /// <summary>The envelope endpoints under the host; the admin endpoint locally.</summary>
    public static void MapFunctionsHosting(this WebApplication app)
    {
        if (UnderFunctionsHost(app.Configuration))
        {
            app.MapFunctionsHostProtocol(app.Services.GetRequiredService<FunctionRegistry>());
        }
        else
        {
            app.MapLocalAdminEndpoint();
        }
    }

    public static Type? HandlerType(FunctionDefinition function) => function switch
    {
        QueueFunction queue => queue.Handler,
        TimerFunction timer => timer.Handler,
        _ => null,
    };

    private static int ParsePort(string value, string variable) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{variable} must be a TCP port number, not '{value}'.");
}
