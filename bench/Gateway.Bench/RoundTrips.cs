using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Hosting;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per API request, counted in the Azure SDK's pipeline of the gateway's storage clients (per
/// retry: every attempt counts), with the gateway hosted in memory against a real Azurite. Only a request's own calls
/// count: those made while serving it. The process's background work (the local queue listener delivering the
/// webhooks of the payments made, the local timers) is counted apart and printed as context.
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
        var background = counter.Background.Snapshot();

        Console.WriteLine("Storage round trips per request, its own calls only (average over N requests after one warm-up):");
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
        PrintBackground(counter, background, azurite);
        return setup;
    }

    /// <summary>
    /// The average round trips of <paramref name="request"/> over <paramref name="count"/> calls; before each,
    /// <paramref name="prepare"/> (when given) runs uncounted, e.g. to read the form a post sends.
    /// </summary>
    internal static async Task Report(string name, int count, Counter counter, Func<Task> request,
        Func<Task>? prepare = null)
    {
        var calls = 0;
        for (var i = 0; i < count; i++)
        {
            if (prepare is not null) await prepare();
            var before = counter.Value;
            await request();
            calls += counter.Value - before;
        }
        Console.WriteLine($"  {name,-44} {count,4} {calls / (double)count,12:0.00}");
    }

    /// <summary><see cref="Report"/>, then the same calls by table (or queue) and method, per request.</summary>
    internal static async Task ReportByTableAsync(string name, int count, Counter counter, Azurite azurite,
        Func<Task> request, Func<Task>? prepare = null)
    {
        var own = new Dictionary<Kind, int>();
        await Report(name, count, counter, async () =>
        {
            var before = counter.Own.Snapshot();
            await request();
            foreach (var (kind, n) in counter.Own.Since(before)) own[kind] = own.GetValueOrDefault(kind) + n;
        }, prepare);
        var calls = own
            .GroupBy(k => k.Key.Port == azurite.QueuePort ? $"queue {k.Key.Method}"
                : k.Key.Resource == "$batch" ? "batch" : $"{k.Key.Resource} {k.Key.Method}")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
                $"{g.Key} {(g.Sum(k => k.Value) / (double)count).ToString("0.##", CultureInfo.InvariantCulture)}");
        PrintWrapped(own.Count == 0 ? "none" : string.Join(", ", calls), "    ", separator: ", ");
    }

    /// <summary>Background calls since <paramref name="before"/>: context for request figures, not in them.</summary>
    internal static void PrintBackground(Counter counter, Dictionary<Kind, int> before, Azurite azurite)
    {
        var since = counter.Background.Since(before);
        Console.WriteLine($"  (not counted above: {since.Values.Sum()} storage calls of the process's background work " +
            "meanwhile, its local queue listener and timers:");
        Console.WriteLine($"   {(since.Count == 0 ? "none" : string.Join(", ", since.GroupBy(k => Label(k.Key, azurite))
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(k => k.Value)}")))})");
    }

    /// <summary>
    /// Prints <paramref name="text"/> in lines of at most 118 characters, the first after <paramref name="first"/>,
    /// the others after <paramref name="indent"/>, broken only at <paramref name="separator"/>: notes that name their
    /// figures' inputs run long.
    /// </summary>
    internal static void PrintWrapped(string text, string indent, string? first = null, string separator = " ")
    {
        var line = new StringBuilder(first ?? indent);
        var start = line.Length;
        foreach (var piece in text.Split(separator))
        {
            if (line.Length > start && line.Length + separator.Length + piece.Length > 118)
            {
                Console.WriteLine(line.Append(separator.TrimEnd()));
                line.Clear().Append(indent);
                start = line.Length;
            }
            line.Append(line.Length > start ? separator : "").Append(piece);
        }
        Console.WriteLine(line);
    }

    /// <summary>"table GET", "queue receive" (a queue GET), "queue DELETE", ...</summary>
    internal static string Label(Kind kind, Azurite azurite) => kind.Port == azurite.QueuePort
        ? $"queue {(kind.Method == "GET" ? "receive" : kind.Method)}"
        : $"table {kind.Method}";

    /// <summary>
    /// A new organisation and its administrator, made by a new operator; with <paramref name="paymentPartitions"/>,
    /// its payments spread over that many partitions from the start (else the default).
    /// </summary>
    internal static async Task<Setup> CreateOrganisationAsync(CountingApp app, int? paymentPartitions = null)
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
            .. paymentPartitions is { } count
                ? [KeyValuePair.Create("Organisation[payment_partitions]",
                    count.ToString(CultureInfo.InvariantCulture))]
                : Array.Empty<KeyValuePair<string, string>>(),
        ])), 201);
        var root = JsonDocument.Parse(body).RootElement;
        if (paymentPartitions is { } asked
            && root.GetProperty("Organisation").GetProperty("payment_partitions").GetInt32() != asked)
        {
            throw new InvalidOperationException($"Not made with {asked} payment partitions: {body}");
        }
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

    /// <summary>A kind of storage call: HTTP method, port (table or queue endpoint), the table or queue named.</summary>
    internal readonly record struct Kind(string Method, int Port, string Resource);

    /// <summary>Round trips in all, and by kind.</summary>
    internal sealed class Tally
    {
        private int _value;
        public int Value => Volatile.Read(ref _value);
        public ConcurrentDictionary<Kind, int> ByKind { get; } = new();

        public void Add(Kind kind)
        {
            Interlocked.Increment(ref _value);
            ByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }

        public Dictionary<Kind, int> Snapshot() => ByKind.ToDictionary();

        /// <summary>Calls by kind since <paramref name="before"/> (a <see cref="Snapshot"/>); kinds with none left out.</summary>
        public Dictionary<Kind, int> Since(Dictionary<Kind, int> before) => ByKind
            .Select(k => (k.Key, Count: k.Value - before.GetValueOrDefault(k.Key)))
            .Where(k => k.Count > 0)
            .ToDictionary(k => k.Key, k => k.Count);
    }

    /// <summary>
    /// Round trips of the work being measured (<see cref="Value"/>, <see cref="ByKind"/>) and, apart, of anything else
    /// the same clients did meanwhile (<see cref="Background"/>). Fed by <see cref="CountingPolicy"/>.
    /// </summary>
    internal sealed class Counter
    {
        public Tally Own { get; } = new();
        public Tally Background { get; } = new();
        public int Value => Own.Value;
        public ConcurrentDictionary<Kind, int> ByKind => Own.ByKind;

        public void Add(Request request, bool own)
        {
            // Path-style (Azurite): /{account}/{table or queue}[(keys)][/messages...]; $batch for a transaction.
            var segments = request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var resource = segments.Length > 1 ? segments[1].Split('(')[0] : "";
            (own ? Own : Background).Add(new Kind(request.Method.Method, request.Uri.Port, resource));
        }
    }

    /// <summary>
    /// Counts every attempt of every call of the client it is added to (per retry, so retries count too), as the
    /// counted work's own when <paramref name="own"/> says so at the time of the call (always, without it), else as
    /// background. <paramref name="own"/> reads the caller's async context (an AsyncLocal), which flows into the call.
    /// </summary>
    internal sealed class CountingPolicy(Counter counter, Func<bool>? own = null) : HttpPipelinePolicy
    {
        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            counter.Add(message.Request, own?.Invoke() ?? true);
            return ProcessNextAsync(message, pipeline);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            counter.Add(message.Request, own?.Invoke() ?? true);
            ProcessNext(message, pipeline);
        }
    }

    /// <summary>
    /// Storage:Retry of every storage client here, the gateway's (in memory and as a process) and the floors': its
    /// defaults but for the deadlines. Azurite stops answering for seconds at a time (its queue GC, every minute, once
    /// thousands of queue messages were deleted: 19 s seen), beyond the gateway's default deadlines (3 s a try, 4 s a
    /// call), which would turn such a stall into failed requests, occurrences and seeding on whichever side met it.
    /// </summary>
    internal static readonly StorageRetryOptions Retry = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(60),
        OperationTimeout = TimeSpan.FromMinutes(2),
    };

    /// <summary><see cref="Retry"/>'s deadlines as settings, keys joined by <paramref name="separator"/> (":" or "__").</summary>
    internal static (string Key, string Value)[] RetrySettings(string separator) =>
    [
        ($"Storage{separator}Retry{separator}AttemptTimeout", Retry.AttemptTimeout.ToString("c", CultureInfo.InvariantCulture)),
        ($"Storage{separator}Retry{separator}OperationTimeout", Retry.OperationTimeout.ToString("c", CultureInfo.InvariantCulture)),
    ];

    /// <summary>
    /// Standalone storage clients (the floors', the benchmarks' own) with the gateway's client settings (its retry
    /// policy at <see cref="Retry"/>, base64 queue messages); every attempt counted by <paramref name="counter"/> when
    /// given.
    /// </summary>
    internal static TableServiceClient Tables(Azurite azurite, Counter? counter = null) =>
        new(azurite.ConnectionString, Configure(new TableClientOptions(), counter));

    /// <inheritdoc cref="Tables"/>
    internal static QueueServiceClient Queues(Azurite azurite, Counter? counter = null) => new(azurite.ConnectionString,
        Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, counter));

    /// <summary>The gateway's tables (with <paramref name="prefix"/>) over <paramref name="service"/>.</summary>
    internal static GatewayTables GatewayTables(TableServiceClient service, string prefix = "") =>
        new(service, Microsoft.Extensions.Options.Options.Create(new StorageOptions { TablePrefix = prefix }));

    private static T Configure<T>(T options, Counter? counter) where T : ClientOptions
    {
        options.RetryPolicy = new StorageRetryPolicy(Retry);
        if (counter is not null) options.AddPolicy(new CountingPolicy(counter), HttpPipelinePosition.PerRetry);
        return options;
    }

    /// <summary>
    /// The gateway in memory, its storage round trips counted: a call made while serving an HTTP request is that
    /// request's own, any other (the local queue listener, the local timers, start-up) background. Settings are added
    /// to (or override) the defaults; <paramref name="timers"/> false removes the local timer scheduler.
    /// </summary>
    internal sealed class CountingApp(
        Azurite azurite, Counter counter, IReadOnlyDictionary<string, string>? settings = null, bool timers = true)
        : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting(StorageConnection.SettingName, azurite.ConnectionString);
            foreach (var (key, value) in RetrySettings(":")) builder.UseSetting(key, value);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
            builder.ConfigureTestServices(services =>
            {
                if (!timers)
                {
                    var scheduler = services.Single(d => d.ImplementationType == typeof(LocalTimerScheduler));
                    services.Remove(scheduler);
                }
                services.AddHttpContextAccessor();
                services.AddAzureClients(clients => clients.ConfigureDefaults((options, provider) =>
                {
                    var requests = provider.GetRequiredService<IHttpContextAccessor>();
                    var policy = new CountingPolicy(counter, () => requests.HttpContext is not null);
                    options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
                }));
            });
        }
    }
}
