using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

public sealed record Credentials(string Username, string Password);

/// <summary>An organisation made for one test, with its first administrator.</summary>
public sealed record TestOrganisation(long Id, Credentials Admin, long AdminId);

/// <summary>
/// The whole gateway in memory (its real Program, middleware and DI), against the process-wide real Azurite.
/// Each test makes its own organisations and users, so test classes share storage the way tenants do.
/// </summary>
public class GatewayApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string FunctionsAdminKey = "test-functions-admin-key";
    private readonly SemaphoreSlim _operatorGate = new(1, 1);
    private Credentials? _operator;

    public Azurite Azurite { get; private set; } = null!;
    public LogCapture Logs { get; } = new();

    /// <summary>Set before first use to put the app on a clock the test moves.</summary>
    public ManualClock? Clock { get; init; }

    /// <summary>
    /// Whether the local timer scheduler runs. Off by default: timers (token sweep, payment sweep) would work over the
    /// storage every test class shares, on their own schedule or a moved test clock, changing other tests' rows.
    /// Tests of timer functions invoke them directly; hosting tests opt in.
    /// </summary>
    protected bool RunsTimers { get; init; }

    /// <summary>
    /// Whether webhook delivery listens on the event queue locally. Off by default: most test apps share the default
    /// queue and tables, so one app's delivery would take (and post) other apps' events. Webhook tests opt in on a
    /// queue and tables of their own. Off means the host's switch, <c>AzureWebJobs.WebhookDelivery.Disabled</c>.
    /// </summary>
    protected bool DeliversWebhooks { get; init; }

    /// <summary>Whether storage calls pass the simulator of Azure's limits: when <see cref="LimitsVariable"/> is <c>on</c>.</summary>
    public bool SimulatesAzureLimits { get; init; } = Environment.GetEnvironmentVariable(LimitsVariable) == "on";

    public const string LimitsVariable = "GATEWAY_TESTS_STORAGE_LIMITS";

    /// <summary>Extra configuration, e.g. to run as if under the Functions host.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public async Task InitializeAsync()
    {
        Azurite = await StartAzuriteAsync();
        // Start the app now, so a test's first request doesn't pay for it. StartServer rather than Server: the latter
        // is the in-memory TestServer, which does not exist when a subclass serves over Kestrel (BrowserGateway).
        StartServer();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>The process-wide Azurite every test class shares; outage tests start one of their own.</summary>
    protected virtual Task<Azurite> StartAzuriteAsync() => Azurite.SharedAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("AzureWebJobsStorage", Azurite.ConnectionString);
        // Quick retries, for tests of faults that clear within them; under the simulated limits, the defaults' back-off
        // and as many retries as the call's budget allows, as throttling needs time to pass.
        if (SimulatesAzureLimits) builder.UseSetting("Storage:Retry:MaxRetries", "10");
        else builder.UseSetting("Storage:Retry:Delay", "00:00:00.010");
        // Generous storage deadlines: a shared emulator on a loaded 2-core machine can take seconds to answer, and a
        // test about something else must not fail for it. Tests of the deadlines set their own.
        builder.UseSetting("Storage:Retry:AttemptTimeout", "00:00:10");
        builder.UseSetting("Storage:Retry:OperationTimeout", "00:00:30");
        builder.UseSetting("Functions:AdminKey", FunctionsAdminKey);
        if (!DeliversWebhooks) builder.UseSetting("AzureWebJobs.WebhookDelivery.Disabled", "true");
        // test.sh runs the suite a second time with Azure's scalability limits simulated (at Azure's own rates).
        if (SimulatesAzureLimits) builder.UseSetting("Storage:Limits:Enabled", "true");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        builder.ConfigureTestServices(services =>
        {
            if (Clock is not null) services.AddSingleton<TimeProvider>(Clock);
            if (!RunsTimers)
            {
                foreach (var timers in services.Where(d => d.ImplementationType == typeof(LocalTimerScheduler)).ToList()) services.Remove(timers);
            }
            ConfigureServices(services);
        });
    }

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// The error an app with these settings fails to start with. WebApplicationFactory races a start-up that fails
    /// fast: it can reach for the app's services after the failed app has disposed them and throw that instead of
    /// the app's own error (seen on a loaded machine), so such a start-up is tried again, a few times.
    /// </summary>
    public static async Task<Exception> StartUpFailureAsync(Dictionary<string, string?> settings)
    {
        Exception error;
        var attempts = 0;
        do
        {
            var app = new GatewayApp();
            foreach (var (key, value) in settings) app.Settings[key] = value;
            error = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)app).InitializeAsync());
        }
        while (error is ObjectDisposedException && ++attempts < 5);
        return error;
    }

    /// <summary>A vault key for apps that run as under the Functions host, where one must be configured.</summary>
    public static readonly Dictionary<string, string?> VaultKey = new()
    {
        ["CardVault:Keys:test1"] = Convert.ToBase64String(new byte[32]), ["CardVault:ActiveKey"] = "test1",
    };

    public HttpClient ClientFor(Credentials credentials)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic(credentials);
        return client;
    }

    public HttpClient ClientWithApiKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }

    public static AuthenticationHeaderValue Basic(Credentials c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));

    /// <summary>A platform operator for this app, created once through the same code the demo seed uses.</summary>
    public async Task<Credentials> OperatorAsync()
    {
        await _operatorGate.WaitAsync();
        try
        {
            if (_operator is null)
            {
                var credentials = new Credentials(Unique.Name("operator"), Unique.Password());
                await Service<UserService>().CreateOperatorAsync(credentials.Username, credentials.Password, CancellationToken.None);
                _operator = credentials;
            }
            return _operator;
        }
        finally
        {
            _operatorGate.Release();
        }
    }

    /// <summary>A new organisation with its administrator, created by the operator through the API.</summary>
    /// <summary>An organisation with its first administrator; its payments spread over the default partitions unless given.</summary>
    public async Task<TestOrganisation> CreateOrganisationAsync(string mode = "test", string timezone = "Africa/Johannesburg",
        int? partitions = null)
    {
        var admin = new Credentials(Unique.Name("admin"), Unique.Password());
        using var client = ClientFor(await OperatorAsync());
        (string, string)[] spread = partitions is { } n ? [("Organisation[payment_partitions]", n.ToString(CultureInfo.InvariantCulture))] : [];
        var response = await client.PostFormAsync("/api/v1/organisation",
            [("Organisation[name]", "Org " + admin.Username), ("Organisation[mode]", mode), ("Organisation[timezone]", timezone),
            ("User[username]", admin.Username), ("User[password]", admin.Password), .. spread]);
        var body = await response.JsonAsync(201);
        return new TestOrganisation(body.GetProperty("Organisation").GetProperty("id").GetInt64(), admin,
            body.GetProperty("User").GetProperty("id").GetInt64());
    }

    /// <summary>A user with a password in the organisation, created by its administrator through the API.</summary>
    public async Task<(Credentials Credentials, long Id)> CreateUserAsync(TestOrganisation organisation, string role = "agent")
    {
        var user = new Credentials(Unique.Name(role), Unique.Password());
        using var client = ClientFor(organisation.Admin);
        var response = await client.PostFormAsync("/api/v1/user",
            ("User[username]", user.Username), ("User[password]", user.Password), ("User[role]", role));
        return (user, (await response.JsonAsync(201)).GetProperty("id").GetInt64());
    }

    /// <summary>Licenses the organisation for the services and activates them for the user, as its administrator.</summary>
    public async Task ActivateAsync(TestOrganisation organisation, long userId, params int[] serviceIds)
    {
        using var client = ClientFor(organisation.Admin);
        foreach (var serviceId in serviceIds)
        {
            await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate",
                ($"serviceId[{serviceId}]", "100"))).JsonAsync(200);
            await (await client.PutFormAsync($"/api/v1/user/{userId}/activate",
                ("serviceId[]", serviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)))).JsonAsync(200);
        }
    }
}

public static class Unique
{
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    public static string Password() => "pw-" + Guid.NewGuid().ToString("N")[..16];
}
