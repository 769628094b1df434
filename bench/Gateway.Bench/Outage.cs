using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Platform;
using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// Storage outages as the gateway process meets them with its default storage settings: Azurite stopped (nothing
/// listens) and frozen (SIGSTOP: connections accepted, nothing answered). For each kind of request, the status and how
/// long the answer took while storage was out, then how long until the same request succeeds once storage is back.
/// </summary>
public static class OutageLoad
{
    private const int Tries = 5;

    public static async Task MeasureAsync(string configuration)
    {
        var location = Path.Combine(Path.GetTempPath(), "gateway-bench-outage-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var azurite = await Azurite.StartPersistentAsync(location);
            await WithSeededGatewayAsync(azurite, configuration, location, (port, demo) => RunAsync(azurite, port, demo));
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    /// <summary>
    /// The gateway process on a free port, seeded by its own seed step as ./run.sh does, with the product's own
    /// storage deadlines (nothing of RoundTrips.Retry here), for <paramref name="run"/>; killed afterwards.
    /// </summary>
    internal static async Task WithSeededGatewayAsync(Azurite azurite, string configuration, string location,
        Func<int, Demo, Task> run)
    {
        var command = PaymentsLoad.GatewayCommand(configuration);
        var port = ColdStart.FreePort();
        (string, string)[] environment =
        [
            ("GATEWAY_PORT", port.ToString(CultureInfo.InvariantCulture)),
            (StorageConnection.SettingName, azurite.ConnectionString),
            ("Logging__LogLevel__Default", "Error"),
        ];
        var demo = await SeedAsync(command, environment, location);
        using var gateway = PaymentsLoad.StartGateway(command, environment);
        try
        {
            await PaymentsLoad.WaitUntilUpAsync(port, gateway);
            await run(port, demo);
        }
        finally
        {
            gateway.Kill(entireProcessTree: true);
        }
    }

    internal sealed record Demo(long OrganisationId, string Admin, string Password, string ApiKey);

    private sealed record Probe(string Name, Func<HttpClient, Task<HttpResponseMessage>> Send);

    private static async Task RunAsync(Azurite azurite, int port, Demo demo)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{demo.Admin}:{demo.Password}")));
        var key = JsonDocument.Parse(await Send(http, HttpMethod.Post, "/api/v1/payment-key", basic, null, "amount=5.00&merchant_reference=outage"))
            .RootElement.GetProperty("key").GetString()!;
        Probe[] probes =
        [
            new("GET organisation (basic auth)", c => c.SendAsync(Request(HttpMethod.Get, $"/api/v1/organisation/{demo.OrganisationId}", basic, null, null))),
            new("POST pay/direct (x-api-key)", c => c.SendAsync(Request(HttpMethod.Post, "/api/v1/pay/direct", null, demo.ApiKey, PaymentRoundTrips.PayDirectBody))),
            new("GET /api/health", c => c.GetAsync("/api/health")),
            new("GET /eft?payment_key= (hosted page)", c => c.GetAsync($"/eft?payment_key={key}")),
        ];
        // Warm-up: the password's hash is remembered after one success, and every path has run once.
        foreach (var probe in probes) (await probe.Send(http)).EnsureSuccessStatusCode();

        var outages = new (string Name, Func<Task> Start, Func<Task> End)[]
        {
            ("storage stopped", () => azurite.StopAsync(), () => azurite.RestartAsync()),
            ("storage frozen (SIGSTOP)", () => { azurite.Freeze(); return Task.CompletedTask; }, () => { azurite.Thaw(); return Task.CompletedTask; }),
        };
        Console.WriteLine();
        Console.WriteLine($"Storage outages, gateway process with its default storage deadlines (Storage:Retry, {Tries} tries each):");
        Console.WriteLine($"  {"outage",-26} {"request",-38} {"status",8} {"median ms",10} {"max ms",8} {"back after ms",14}");
        foreach (var (name, start, end) in outages)
        {
            await start();
            var figures = new List<(string Request, string Statuses, double Median, double Max)>();
            foreach (var probe in probes)
            {
                var statuses = new SortedSet<int>();
                var times = new List<double>();
                for (var i = 0; i < Tries; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using var response = await probe.Send(http);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                    statuses.Add((int)response.StatusCode);
                }
                times.Sort();
                figures.Add((probe.Name, string.Join('/', statuses), times[times.Count / 2], times[^1]));
            }
            var restored = Stopwatch.StartNew();
            await end();
            while (!(await probes[0].Send(http)).IsSuccessStatusCode) await Task.Delay(10);
            var back = restored.Elapsed.TotalMilliseconds;
            foreach (var (request, statuses, median, max) in figures)
            {
                Console.WriteLine($"  {name,-26} {request,-38} {statuses,8} {median,10:0} {max,8:0} {back,14:0}");
            }
        }
        Console.WriteLine("  (back after: from storage's return until the organisation read succeeds again, nothing restarted)");
    }

    /// <summary>The demo platform, made by the gateway's own seed step as ./run.sh does.</summary>
    private static async Task<Demo> SeedAsync(string[] command, (string, string)[] environment, string location)
    {
        var file = Path.Combine(location, "demo.json");
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command[1..].Append("seed-demo").Append(file)) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var seed = Process.Start(start)!;
        var output = seed.StandardOutput.ReadToEndAsync();
        var errors = seed.StandardError.ReadToEndAsync();
        await seed.WaitForExitAsync();
        if (seed.ExitCode != 0) throw new InvalidOperationException($"seed-demo failed: {await output}{await errors}");
        var demo = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        return new Demo(demo.GetProperty("organisation_id").GetInt64(), demo.GetProperty("admin").GetProperty("username").GetString()!,
            demo.GetProperty("admin").GetProperty("password").GetString()!, demo.GetProperty("api_key").GetString()!);
    }

    private static async Task<string> Send(HttpClient http, HttpMethod method, string path, AuthenticationHeaderValue? auth, string? apiKey, string? body)
    {
        using var response = await http.SendAsync(Request(method, path, auth, apiKey, body));
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, AuthenticationHeaderValue? auth, string? apiKey, string? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = auth;
        if (apiKey is not null) request.Headers.Add("x-api-key", apiKey);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        return request;
    }
}
