using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Gateway.Platform;
using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// Cold start: from starting the process to its first successful answer, for the gateway (an authenticated API
/// call) and for an empty ASP.NET Core app (GET /) measured the same way in the same run, alternating.
/// </summary>
public static class ColdStart
{
    public static async Task MeasureAsync(Azurite azurite, RoundTrips.Setup setup, string configuration, int runs)
    {
        var root = Azurite.RepositoryRoot();
        string[] built = ["dotnet", Path.Combine(root, "functions", "Gateway", "bin", configuration, "net10.0", "Gateway.dll")];
        // What is deployed to Azure: bench/run.sh publishes it for linux-x64 with ReadyToRun.
        string[] published = [Path.Combine(root, "bench", ".publish", "Gateway")];
        string[] empty = ["dotnet", Path.Combine(root, "bench", "EmptyApp", "bin", configuration, "net10.0", "EmptyApp.dll")];
        var basic = RoundTrips.Basic(setup.Username, setup.Password);
        var user = $"/api/v1/user/{setup.UserId}";

        (string, string)[] creates = [];
        // As deployed when the infrastructure creates the tables and queues: no creation calls at start-up.
        (string, string)[] provisioned = [("Storage__CreateTablesOnStartup", "false")];
        var cases = new List<(string Name, string[] Command, string Path, AuthenticationHeaderValue? Auth,
            (string, string)[] Extra, List<double> Times)>
        {
            ("empty ASP.NET Core app: GET /", empty, "/", null, creates, []),
            ("gateway, dotnet build: GET /api/health (no auth)", built, "/api/health", null, creates, []),
            ("gateway, dotnet build: GET /api/v1/user/{id}, basic auth", built, user, basic, creates, []),
        };
        if (File.Exists(published[0]))
        {
            cases.Add(("gateway, published R2R: GET /api/health (no auth)", published, "/api/health", null, creates, []));
            cases.Add(("gateway, published R2R: GET /api/v1/user/{id}, basic auth", published, user, basic, creates, []));
            cases.Add(("gateway, published R2R, storage provisioned: GET /api/health", published, "/api/health", null,
                provisioned, []));
            cases.Add(("gateway, published R2R, storage provisioned: GET /api/v1/user/{id}", published, user, basic,
                provisioned, []));
        }
        for (var run = 0; run < runs; run++)
        {
            foreach (var (_, command, path, auth, extra, times) in cases)
            {
                var isEmpty = command == empty;
                times.Add(await TimeToFirstAnswerAsync(command, port => isEmpty
                    ? [("ASPNETCORE_URLS", $"http://127.0.0.1:{port}")]
                    : [.. GatewayEnvironment(azurite, port), .. extra], path, auth));
            }
        }

        var baseline = Median(cases[0].Times);
        Console.WriteLine();
        Console.WriteLine($"Cold start, process start to first successful answer (median of {runs} runs, alternating):");
        foreach (var (name, _, _, _, _, times) in cases)
        {
            Console.WriteLine($"  {name,-66} {Median(times),6:0} ms  {Median(times) / baseline:0.00}x");
        }
        Console.WriteLine("  (basic auth includes one PBKDF2-SHA256 verification at 600,000 iterations in the fresh process)");
    }

    internal static (string, string)[] GatewayEnvironment(Azurite azurite, int port) =>
    [
        ("GATEWAY_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        (StorageConnection.SettingName, azurite.ConnectionString),
        .. RoundTrips.RetrySettings("__"),
        ("Logging__LogLevel__Default", "Warning"),
    ];

    private static async Task<double> TimeToFirstAnswerAsync(string[] command, Func<int, (string, string)[]> environment, string path, AuthenticationHeaderValue? auth)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment(port)) start.Environment[key] = value;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}") { Headers = { Authorization = auth } };
                    using var response = await http.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.OK) return clock.Elapsed.TotalMilliseconds;
                    throw new InvalidOperationException($"{command[^1]} answered {(int)response.StatusCode} to {path}");
                }
                catch (HttpRequestException)
                {
                    // Not listening yet: this is what is being timed. Poll again at once.
                }
            }
            throw new TimeoutException($"{command[^1]} did not answer within 60 s");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
