using System.Diagnostics;
using System.Globalization;
using Azure;
using Gateway.Platform;
using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// The load parts' measurement (<see cref="PaymentsLoad"/>, <see cref="CodesLoad"/>, <see cref="CashierLoad"/>): the
/// real gateway process driven by wrk, against the storage floor, the same storage work per operation done with the
/// storage clients directly, at the same concurrency against the same Azurite in the same run. Both are closed loops
/// (each connection or worker waits for its answer), so their throughputs and latencies compare.
/// </summary>
internal sealed class LoadRun : IAsyncDisposable
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    private readonly Azurite _azurite;
    private readonly string[] _command;
    private readonly int _port;
    private readonly Process _gateway;
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly DirectoryInfo _scripts = Directory.CreateTempSubdirectory("gateway-bench-");

    /// <summary>Throughput, latency in ms, failures, CPU ms per operation of Azurite and of the caller.</summary>
    internal sealed record Figures(double PerSecond, double P50, double P99, long Failed, double AzuriteCpu = 0,
        double CallerCpu = 0)
    {
        public Figures WithCpu((TimeSpan Azurite, TimeSpan Caller) cpu, double operations) => this with
        {
            AzuriteCpu = cpu.Azurite.TotalMilliseconds / operations,
            CallerCpu = cpu.Caller.TotalMilliseconds / operations,
        };
    }

    /// <summary>
    /// In an operation's body, replaced in every request wrk sends by a text no other request of the run has: for
    /// requests that must each be new (the cashier's tracking_id).
    /// </summary>
    internal const string Unique = "{unique}";

    /// <summary>
    /// One operation both ways: the gateway request (method, path, body of its content type, the x-api-key it sends
    /// if any; see <see cref="Unique"/>) and its storage work.
    /// </summary>
    internal sealed record Operation(string Name, string Method, string Path, string? Body, string? ApiKey,
        Func<Func<Task>> Floor, string ContentType = "application/x-www-form-urlencoded");

    /// <summary>A line of the table; <paramref name="Steps"/> where the floor's time goes, when it was timed.</summary>
    internal sealed record Result(string Name, int Concurrency, Figures Gateway, Figures Floor, string? Steps);

    private LoadRun(Azurite azurite, string[] command, int port, Process gateway) =>
        (_azurite, _command, _port, _gateway) = (azurite, command, port, gateway);

    public static async Task<LoadRun> StartAsync(Azurite azurite, string configuration)
    {
        var command = PaymentsLoad.GatewayCommand(configuration);
        var port = ColdStart.FreePort();
        // As on Azure, where the host runs queue and timer functions apart from the HTTP ones, the process serves
        // requests only: its local queue listener would otherwise deliver the run's events (the floor's too) on the
        // same storage while the requests are measured.
        var gateway = PaymentsLoad.StartGateway(command,
            [.. ColdStart.GatewayEnvironment(azurite, port), .. PaymentsLoad.RequestsOnly()]);
        var run = new LoadRun(azurite, command, port, gateway);
        try
        {
            await PaymentsLoad.WaitUntilUpAsync(port, gateway);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Both sides of <paramref name="operation"/> briefly: JIT, connection pools, the id blocks.</summary>
    public async Task WarmUpAsync(Operation operation, int concurrency)
    {
        await WrkAsync(operation, concurrency, WarmUp);
        await FloorAsync(operation.Floor(), concurrency, WarmUp);
    }

    /// <summary>
    /// The gateway running <paramref name="forGateway"/>, then the floor running <paramref name="forFloor"/> (the same
    /// operation, on a tenant of its own where it writes), each for <paramref name="duration"/>.
    /// </summary>
    public async Task<Result> CompareAsync(Operation forGateway, Operation forFloor, int concurrency, TimeSpan duration,
        Func<string>? steps = null)
    {
        var gateway = await MeteredAsync(_gateway, duration, () => WrkAsync(forGateway, concurrency, duration));
        var floor = await MeteredAsync(_self, duration, () => FloorAsync(forFloor.Floor(), concurrency, duration));
        return new Result(forGateway.Name, concurrency, gateway, floor, steps?.Invoke());
    }

    /// <summary>The table of <paramref name="results"/>; each part then notes what its floor does.</summary>
    public void Print(string title, IEnumerable<Result> results, TimeSpan duration)
    {
        var build = _command.Length == 1 ? "published R2R" : "dotnet build";
        Console.WriteLine();
        Console.WriteLine($"{title} under load, {duration.TotalSeconds:0} s per figure, closed loop; gateway process " +
            $"({build}) driven by wrk,");
        Console.WriteLine("storage floor = the same storage round trips per operation from a C# loop, same Azurite, " +
            "same run:");
        Console.WriteLine($"  {"",-12} {"",4}  {"gateway",-26}  {"storage floor",-26}  {"gateway / floor",-21}");
        Console.WriteLine($"  {"operation",-12} {"conc",4}  {"req/s",8} {"p50 ms",8} {"p99 ms",8}  " +
            $"{"ops/s",8} {"p50 ms",8} {"p99 ms",8}  {"req/s",6} {"p50",6} {"p99",6}");
        foreach (var (name, concurrency, gateway, floor, steps) in results)
        {
            Console.WriteLine($"  {name,-12} {concurrency,4}  " +
                $"{gateway.PerSecond,8:0} {gateway.P50,8:0.0} {gateway.P99,8:0.0}  " +
                $"{floor.PerSecond,8:0} {floor.P50,8:0.0} {floor.P99,8:0.0}  " +
                $"{gateway.PerSecond / floor.PerSecond,5:0.00}x {gateway.P50 / floor.P50,5:0.00}x " +
                $"{gateway.P99 / floor.P99,5:0.00}x");
            Console.WriteLine($"  {"",-12} {"",4}  " +
                $"CPU ms/op: Azurite {gateway.AzuriteCpu,4:0.00}, gateway {gateway.CallerCpu,4:0.00}  " +
                $"CPU ms/op: Azurite {floor.AzuriteCpu,4:0.00}, client {floor.CallerCpu,4:0.00}");
            if (steps is not null) Console.WriteLine($"  {"",-12} {"",4}  floor's mean ms per step: {steps}");
            if (gateway.Failed + floor.Failed > 0)
            {
                Console.WriteLine($"    failures: gateway {gateway.Failed} (non-2xx or socket errors), " +
                    $"floor {floor.Failed}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_gateway.HasExited)
        {
            _gateway.Kill(entireProcessTree: true);
            await _gateway.WaitForExitAsync();
        }
        _gateway.Dispose();
        _self.Dispose();
        _scripts.Delete(recursive: true);
    }

    /// <summary>
    /// Runs a measurement and adds the CPU time Azurite and the caller (gateway or this process) spent per operation.
    /// </summary>
    private async Task<Figures> MeteredAsync(Process caller, TimeSpan duration, Func<Task<Figures>> measure)
    {
        (TimeSpan, TimeSpan) Read()
        {
            caller.Refresh();
            return (_azurite.CpuTime(), caller.TotalProcessorTime);
        }
        var (azuriteBefore, callerBefore) = Read();
        var figures = await measure();
        var (azuriteAfter, callerAfter) = Read();
        return figures.WithCpu((azuriteAfter - azuriteBefore, callerAfter - callerBefore),
            figures.PerSecond * duration.TotalSeconds);
    }

    private static async Task<Figures> FloorAsync(Func<Task> operation, int concurrency, TimeSpan duration)
    {
        var latencies = new List<double>[concurrency];
        var failed = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<double>(16_384);
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await operation();
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (Exception error) when (error is RequestFailedException or HttpRequestException
                                                   or InvalidOperationException || StorageFaults.IsUnavailable(error))
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Figures(all.Length / elapsed, PaymentsLoad.Percentile(all, 0.50), PaymentsLoad.Percentile(all, 0.99),
            failed);
    }

    /// <summary>
    /// The script's body: fixed, or, where it holds <see cref="Unique"/>, made by request() for each request, the
    /// marker replaced by this run's id, the wrk thread's number (setup() numbers the threads) and the request's.
    /// </summary>
    private static string Body(string? body)
    {
        if (body is null) return "";
        if (!body.Contains(Unique, StringComparison.Ordinal)) return $"wrk.body = [==[{body}]==]";
        var pieces = string.Join(", ", body.Split(Unique).Select(piece => $"[==[{piece}]==]"));
        return $$"""
            local pieces, run, threads = { {{pieces}} }, "{{Guid.NewGuid():N}}", 0
            thread_id, sent = 0, 0
            setup = function(thread)
              threads = threads + 1
              thread:set("thread_id", threads)
            end
            request = function()
              sent = sent + 1
              return wrk.format(nil, nil, nil, table.concat(pieces, run .. "-" .. thread_id .. "-" .. sent))
            end
            """;
    }

    /// <summary>
    /// Runs wrk with a generated script whose done() prints the figures on one line, in microseconds. The body is a
    /// Lua long string, so a JSON body needs no escaping.
    /// </summary>
    private async Task<Figures> WrkAsync(Operation operation, int concurrency, TimeSpan duration)
    {
        var script = Path.Combine(_scripts.FullName, operation.Name.Replace('/', '-') + ".lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "{{operation.Method}}"
            {{(operation.ApiKey is null ? "" : $"wrk.headers[\"x-api-key\"] = \"{operation.ApiKey}\"")}}
            {{(operation.Body is null ? "" : $"wrk.headers[\"Content-Type\"] = \"{operation.ContentType}\"")}}
            {{Body(operation.Body)}}
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("bench-result %.0f %.0f %.0f %.0f %.0f\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
            end
            """);
        var threads = Math.Min(concurrency, Environment.ProcessorCount);
        var start = new ProcessStartInfo("wrk", ["-t", $"{threads}", "-c", $"{concurrency}",
            "-d", $"{duration.TotalSeconds:0}s", "--timeout", "10s", "-s", script,
            $"http://127.0.0.1:{_port}{operation.Path}"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException(
                "wrk is not installed: run bench/run.sh, which installs it (apt-get install wrk).");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var line = (await output).Split('\n')
                .FirstOrDefault(l => l.StartsWith("bench-result ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException(
                    $"wrk printed no result (exit {process.ExitCode}): {await output}{await errors}");
            var f = line.Split(' ')[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // summary.requests counts every completed request, failed ones too; throughput counts only successes.
            return new Figures((f[0] - f[4]) / (f[1] / 1e6), f[2] / 1000, f[3] / 1000, (long)f[4]);
        }
    }
}
