using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per API request, counted at the storage HttpClient (every attempt counts, retries included),
/// with the gateway hosted in memory against a real Azurite.
/// </summary>
public static class RoundTrips
{
    public sealed record Setup(long OrganisationId, string Username, string Password, long UserId);

    public static async Task<Setup> MeasureAsync(Azurite azurite)
    {
        var counter = new Counter();
        await using var app = new CountingApp(azurite, counter);
        using var client = app.CreateClient();
        var setup = await CreateOrganisationAsync(app);
        client.DefaultRequestHeaders.Authorization = Basic(setup.Username, setup.Password);

        // Warm-up: the first basic-auth request pays the password hash, the first create reserves an id block.
        await Expect(client.PostAsync("/api/v1/token", null), 200);

        Console.WriteLine("Storage round trips per request (average over N requests after one warm-up):");
        Console.WriteLine($"  {"request",-44} {"N",4} {"round trips",12}");
        await Report("POST /api/v1/token (basic auth)", 20, counter, () => Expect(client.PostAsync("/api/v1/token", null), 200));
        await Report($"GET /api/v1/user/{{own id}} (basic auth)", 20, counter, () => Expect(client.GetAsync($"/api/v1/user/{setup.UserId}"), 200));
        var other = JsonDocument.Parse(await Expect(client.PostAsync("/api/v1/user", new FormUrlEncodedContent(
            [KeyValuePair.Create("User[username]", "bench-" + Guid.NewGuid().ToString("N")[..12]), KeyValuePair.Create("User[role]", "agent")])), 201))
            .RootElement.GetProperty("id").GetInt64();
        await Report($"GET /api/v1/user/{{other id}} (basic auth)", 20, counter, () => Expect(client.GetAsync($"/api/v1/user/{other}"), 200));

        var token = JsonDocument.Parse(await Expect(client.PostAsync("/api/v1/token", null), 200)).RootElement.GetProperty("token").GetString();
        using var bearer = app.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await Report($"GET /api/v1/user/{{other id}} (bearer token)", 20, counter, () => Expect(bearer.GetAsync($"/api/v1/user/{other}"), 200));

        // 40 creates span two id blocks (Ids:BlockSize 20), so the average includes the counter's share.
        await Report("POST /api/v1/user (basic auth)", 40, counter, () => Expect(client.PostAsync("/api/v1/user", new FormUrlEncodedContent(
            [KeyValuePair.Create("User[username]", "bench-" + Guid.NewGuid().ToString("N")[..12]), KeyValuePair.Create("User[role]", "agent")])), 201));
        return setup;
    }

    internal static async Task Report(string name, int count, Counter counter, Func<Task> request)
    {
        var before = counter.Value;
        for (var i = 0; i < count; i++) await request();
        Console.WriteLine($"  {name,-44} {count,4} {(counter.Value - before) / (double)count,12:0.00}");
    }

    internal static async Task<Setup> CreateOrganisationAsync(CountingApp app)
    {
        var (operatorName, password) = ("bench-operator-" + Guid.NewGuid().ToString("N")[..8], "bench-password-1");
        await app.Services.GetRequiredService<Gateway.Identity.UserService>().CreateOperatorAsync(operatorName, password, CancellationToken.None);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic(operatorName, password);
        var admin = "bench-admin-" + Guid.NewGuid().ToString("N")[..8];
        var body = await Expect(client.PostAsync("/api/v1/organisation", new FormUrlEncodedContent(
        [
            KeyValuePair.Create("Organisation[name]", "Bench"), KeyValuePair.Create("User[username]", admin),
            KeyValuePair.Create("User[password]", password),
        ])), 201);
        var root = JsonDocument.Parse(body).RootElement;
        return new Setup(root.GetProperty("Organisation").GetProperty("id").GetInt64(), admin, password,
            root.GetProperty("User").GetProperty("id").GetInt64());
    }

    internal static AuthenticationHeaderValue Basic(string username, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    internal static async Task<string> Expect(Task<HttpResponseMessage> call, int status)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        return (int)response.StatusCode == status ? text : throw new InvalidOperationException($"Expected {status}, got {(int)response.StatusCode}: {text}");
    }

    /// <summary>Round trips in all, and by method and port (the table or the queue endpoint).</summary>
    internal sealed class Counter
    {
        private int _value;
        public int Value => Volatile.Read(ref _value);
        public System.Collections.Concurrent.ConcurrentDictionary<(string Method, int Port), int> ByKind { get; } = new();

        public void Increment(HttpRequestMessage request)
        {
            Interlocked.Increment(ref _value);
            ByKind.AddOrUpdate((request.Method.Method, request.RequestUri?.Port ?? 0), 1, (_, n) => n + 1);
        }
    }

    internal sealed class CountingHandler(Counter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Increment(request);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The gateway in memory, its storage round trips counted; settings are added to (or override) the defaults.</summary>
    internal sealed class CountingApp(Azurite azurite, Counter counter, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Storage:ConnectionString", azurite.ConnectionString);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
            builder.ConfigureTestServices(services =>
                services.AddHttpClient(StorageSetup.HttpClientName).AddHttpMessageHandler(() => new CountingHandler(counter)));
        }
    }
}
