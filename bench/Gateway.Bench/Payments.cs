using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.Options;

namespace Gateway.Bench;

/// <summary>
/// pay/direct and transaction view under load: the real gateway process driven by wrk, against the storage floor,
/// the same storage work per operation done with the storage clients directly, at the same concurrency against the
/// same Azurite in the same run. Both are closed loops (each connection or worker waits for its answer), so their
/// throughputs and latencies compare.
/// </summary>
public static class PaymentsLoad
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>Throughput, latency in ms, failures, and CPU ms per operation of Azurite and of the calling process.</summary>
    private sealed record Figures(double PerSecond, double P50, double P99, long Failed, double AzuriteCpu = 0, double CallerCpu = 0)
    {
        public Figures WithCpu((TimeSpan Azurite, TimeSpan Caller) cpu, double operations) =>
            this with { AzuriteCpu = cpu.Azurite.TotalMilliseconds / operations, CallerCpu = cpu.Caller.TotalMilliseconds / operations };
    }

    /// <summary>One operation both ways: the gateway request (method, path, body) and its storage work.</summary>
    private sealed record Operation(string Name, string Method, string Path, string? Body, Func<Func<Task>> Floor);

    public static int[] Concurrencies(string? setting) =>
        [.. (setting ?? "8,32").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture))];

    public static async Task MeasureAsync(Azurite azurite, PaymentRoundTrips.Setup setup, string configuration, TimeSpan duration, int[] concurrencies)
    {
        var command = GatewayCommand(configuration);
        var scripts = Directory.CreateTempSubdirectory("gateway-bench-");
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite));
        var queue = RoundTrips.Queues(azurite).GetQueueClient(new PaymentOptions().EventQueue);
        var ids = new IdAllocator(tables, Options.Create(new IdOptions()));
        var port = ColdStart.FreePort();
        using var self = Process.GetCurrentProcess();
        // As on Azure, where the host runs queue and timer functions apart from the HTTP ones, the process serves
        // requests only: its local queue listener would otherwise deliver the run's events (the floor's too) on the
        // same storage while the requests are measured.
        using var gateway = StartGateway(command, [.. ColdStart.GatewayEnvironment(azurite, port), .. RequestsOnly()]);
        try
        {
            await WaitUntilUpAsync(port, gateway);
            var rows = new Rows(tables, queue, ids, setup.Transaction, setup.Event);
            var view = $"/api/v1/gateway-transaction/{setup.TransactionId}";
            Operation Pay(PaymentRoundTrips.Tenant tenant) =>
                new("pay/direct", "POST", "/api/v1/pay/direct", PaymentRoundTrips.PayDirectBody, () => rows.PayDirect(tenant));
            Operation View(PaymentRoundTrips.Tenant tenant) => new("view", "GET", view, null, () => rows.View(tenant, setup.TransactionId));

            // Warm-up of both sides (JIT, connection pools, the id blocks), on the main tenant so that the fresh
            // tenants' partitions start empty.
            foreach (var operation in new[] { Pay(setup.Main), View(setup.Main) })
            {
                await WrkAsync(scripts, port, operation, setup.Main.ApiKey, concurrencies[0], WarmUp);
                await FloorAsync(operation.Floor(), concurrencies[0], WarmUp);
            }
            _ = rows.TakeSteps(); // Not the warm-up's.

            var results = new List<(string Name, int Concurrency, Figures Gateway, Figures Floor, string? Steps)>();
            var fresh = new Queue<PaymentRoundTrips.Tenant>(setup.Fresh);
            foreach (var concurrency in concurrencies)
            {
                // Azurite (LokiJS in memory) finds a row by filtering its partition's rows, on reads and inserts alike, so
                // each write measurement gets a fresh, empty organisation: else the side that ran second would meet a
                // bigger partition. What still grows (the table, the queue) costs both sides alike, and little.
                var (forGateway, forFloor) = (fresh.Dequeue(), fresh.Dequeue());
                results.Add(("pay/direct", concurrency,
                    await MeteredAsync(azurite, gateway, duration, () => WrkAsync(scripts, port, Pay(forGateway), forGateway.ApiKey, concurrency, duration)),
                    await MeteredAsync(azurite, self, duration, () => FloorAsync(Pay(forFloor).Floor(), concurrency, duration)),
                    rows.TakeSteps()));
                results.Add(("view", concurrency,
                    await MeteredAsync(azurite, gateway, duration, () => WrkAsync(scripts, port, View(setup.Main), setup.Main.ApiKey, concurrency, duration)),
                    await MeteredAsync(azurite, self, duration, () => FloorAsync(View(setup.Main).Floor(), concurrency, duration)),
                    null));
            }
            Print(results, command, duration, setup);
        }
        finally
        {
            gateway.Kill(entireProcessTree: true);
            await gateway.WaitForExitAsync();
            scripts.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Settings that make the gateway process serve HTTP only: every queue and timer function disabled, as an app
    /// setting disables it on the Functions host.
    /// </summary>
    internal static (string, string)[] RequestsOnly() =>
    [
        .. Hosting.FunctionCatalog.Gateway.All.Where(f => f is not Hosting.HttpFunctionInfo)
            .Select(f => ($"AzureWebJobs__{f.Name}__Disabled", "true")),
    ];

    /// <summary>The published deployment build when bench/run.sh made it, else the build's dll.</summary>
    internal static string[] GatewayCommand(string configuration)
    {
        var root = Azurite.RepositoryRoot();
        var published = Path.Combine(root, "bench", ".publish", "Gateway");
        return File.Exists(published) ? [published] : ["dotnet", Path.Combine(root, "functions", "Gateway", "bin", configuration, "net10.0", "Gateway.dll")];
    }

    private static void Print(List<(string Name, int Concurrency, Figures Gateway, Figures Floor, string? Steps)> results, string[] command, TimeSpan duration,
        PaymentRoundTrips.Setup setup)
    {
        Console.WriteLine();
        Console.WriteLine($"Payments under load, {duration.TotalSeconds:0} s per figure, closed loop; gateway process ({(command.Length == 1 ? "published R2R" : "dotnet build")}) driven by wrk,");
        Console.WriteLine("storage floor = the same storage round trips per operation from a C# loop, same Azurite, same run:");
        Console.WriteLine($"  {"",-10} {"",4}  {"gateway",-26}  {"storage floor",-26}  {"gateway / floor",-21}");
        Console.WriteLine($"  {"operation",-10} {"conc",4}  {"req/s",8} {"p50 ms",8} {"p99 ms",8}  {"ops/s",8} {"p50 ms",8} {"p99 ms",8}  {"req/s",6} {"p50",6} {"p99",6}");
        foreach (var (name, concurrency, gateway, floor, steps) in results)
        {
            Console.WriteLine($"  {name,-10} {concurrency,4}  {gateway.PerSecond,8:0} {gateway.P50,8:0.0} {gateway.P99,8:0.0}  {floor.PerSecond,8:0} {floor.P50,8:0.0} {floor.P99,8:0.0}  " +
                $"{gateway.PerSecond / floor.PerSecond,5:0.00}x {gateway.P50 / floor.P50,5:0.00}x {gateway.P99 / floor.P99,5:0.00}x");
            Console.WriteLine($"  {"",-10} {"",4}  CPU ms/op: Azurite {gateway.AzuriteCpu,4:0.00}, gateway {gateway.CallerCpu,4:0.00}  " +
                $"CPU ms/op: Azurite {floor.AzuriteCpu,4:0.00}, client {floor.CallerCpu,4:0.00}");
            if (steps is not null) Console.WriteLine($"  {"",-10} {"",4}  floor's mean ms per step: {steps}");
            if (gateway.Failed + floor.Failed > 0) Console.WriteLine($"    failures: gateway {gateway.Failed} (non-2xx or socket errors), floor {floor.Failed}");
        }
        Console.WriteLine("  (floor per pay/direct: ApiKeys GET, organisation GET, the id counter's share, one 5-row batch whose transaction row");
        Console.WriteLine($"   has {PaymentRoundTrips.Size(setup.Transaction)} bytes of properties as JSON, one queue send; per view: " +
            $"the two auth GETs and the transaction GET; {Environment.ProcessorCount} cores shared by");
        Console.WriteLine("   Azurite, the gateway, wrk and this process)");
    }

    /// <summary>Runs a measurement and adds the CPU time Azurite and the caller (gateway or this process) spent per operation.</summary>
    private static async Task<Figures> MeteredAsync(Azurite azurite, Process caller, TimeSpan duration, Func<Task<Figures>> measure)
    {
        (TimeSpan, TimeSpan) Read()
        {
            caller.Refresh();
            return (azurite.CpuTime(), caller.TotalProcessorTime);
        }
        var (azuriteBefore, callerBefore) = Read();
        var figures = await measure();
        var (azuriteAfter, callerAfter) = Read();
        return figures.WithCpu((azuriteAfter - azuriteBefore, callerAfter - callerBefore), figures.PerSecond * duration.TotalSeconds);
    }

    /// <summary>
    /// The storage work of one operation, as the gateway does it (see GatewayAuthentication.FromApiKeyAsync,
    /// PaymentService.PayCardAsync and CreateAsync, PaymentStore.NewTransaction, PaymentEvents.PublishAsync).
    /// </summary>
    private sealed class Rows(GatewayTables tables, QueueClient queue, IdAllocator ids, TableEntity transaction, TableEntity paymentEvent)
    {
        // ApiKeyService's lookup row key: the key's fingerprint is the partition.
        private const string ApiKeyLookupRow = "apikey";

        // Mean time per step of the floor's pay/direct, to show where its time goes: ticks per step, and the count.
        private readonly long[] _stepTicks = new long[4];
        private long _payments;

        public Func<Task> PayDirect(PaymentRoundTrips.Tenant tenant) => async () =>
        {
            var started = Stopwatch.GetTimestamp();
            await AuthenticateAsync(tenant);
            var step = Step(0, started);
            var id = await ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
            step = Step(1, step);
            var organisation = tenant.OrganisationId;
            var partition = PaymentRows.Partition(organisation);
            // The event row's sequence is the transaction's version.
            var sequence = transaction.GetInt32("Version") ?? 1;
            // PaymentStore.NewTransaction's rows, in its order: transaction, gateway reference, merchant reference and
            // payment key index rows, outbox event.
            var (transactionRow, eventRow) = (PaymentRows.TransactionRow(id), PaymentRows.EventRow(id, sequence));
            _ = await tables.Payments.TrySubmitAsync(
            [
                TableActions.Insert(PaymentRoundTrips.Copy(transaction, partition, transactionRow)),
                IndexRow(partition, PaymentRows.GatewayReferenceRow(Guid.NewGuid().ToString()), id),
                IndexRow(partition, PaymentRows.MerchantReferenceRow("bench", id), id),
                IndexRow(partition, PaymentRows.PaymentKeyRow(Guid.NewGuid().ToString("N")), id),
                TableActions.Insert(PaymentRoundTrips.Copy(paymentEvent, partition, eventRow)),
            ], CancellationToken.None) ?? throw new InvalidOperationException("The floor's batch was refused.");
            step = Step(2, step);
            var message = new PaymentEvent(Guid.CreateVersion7().ToString(), organisation, id, sequence, "success", TransactionStatus.Complete, new JsonObject());
            await queue.SendMessageAsync(message.QueueMessage());
            Step(3, step);
            Interlocked.Increment(ref _payments);
        };

        /// <summary>The mean of each pay/direct step since the last call, in ms; then starts counting afresh.</summary>
        public string TakeSteps()
        {
            var count = Math.Max(1, Interlocked.Exchange(ref _payments, 0));
            var ms = _stepTicks.Select((_, i) => Stopwatch.GetElapsedTime(0, Interlocked.Exchange(ref _stepTicks[i], 0)).TotalMilliseconds / count).ToArray();
            return $"auth GETs {ms[0]:0.0}, id {ms[1]:0.0}, batch {ms[2]:0.0}, queue send {ms[3]:0.0}";
        }

        private long Step(int index, long since)
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _stepTicks[index], now - since);
            return now;
        }

        public Func<Task> View(PaymentRoundTrips.Tenant tenant, long transactionId) => async () =>
        {
            await AuthenticateAsync(tenant);
            var partition = PaymentRows.Partition(tenant.OrganisationId);
            _ = await tables.Payments.FindAsync(partition, PaymentRows.TransactionRow(transactionId))
                ?? throw new InvalidOperationException("The transaction to view is missing.");
        };

        private async Task AuthenticateAsync(PaymentRoundTrips.Tenant tenant)
        {
            _ = await tables.ApiKeys.FindAsync(Secrets.Fingerprint(tenant.ApiKey), ApiKeyLookupRow)
                ?? throw new InvalidOperationException("No API key row.");
            _ = await tables.Identity.FindAsync(IdentityKeys.Partition(tenant.OrganisationId), Organisation.RowKey)
                ?? throw new InvalidOperationException("No organisation row.");
        }

        /// <summary>An index row as PaymentStore writes it.</summary>
        private static TableTransactionAction IndexRow(string partition, string row, long transactionId) =>
            TableActions.Insert(new TableEntity(partition, row) { ["Kind"] = "index", ["TransactionId"] = transactionId });
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
        return new Figures(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), failed);
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Runs wrk with a generated script whose done() prints the figures on one line, in microseconds.</summary>
    private static async Task<Figures> WrkAsync(DirectoryInfo scripts, int port, Operation operation, string apiKey, int concurrency, TimeSpan duration)
    {
        var script = Path.Combine(scripts.FullName, operation.Name.Replace('/', '-') + ".lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "{{operation.Method}}"
            wrk.headers["x-api-key"] = "{{apiKey}}"
            {{(operation.Body is null ? "" : $"wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\nwrk.body = \"{operation.Body}\"")}}
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("bench-result %.0f %.0f %.0f %.0f %.0f\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
            end
            """);
        var threads = Math.Min(concurrency, Environment.ProcessorCount);
        var start = new ProcessStartInfo("wrk", ["-t", $"{threads}", "-c", $"{concurrency}", "-d", $"{duration.TotalSeconds:0}s", "--timeout", "10s",
            "-s", script, $"http://127.0.0.1:{port}{operation.Path}"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("wrk is not installed: run bench/run.sh, which installs it (apt-get install wrk).");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var line = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("bench-result ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {await output}{await errors}");
            var f = line.Split(' ')[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // summary.requests counts every completed request, failed ones too; throughput counts only successes.
            return new Figures((f[0] - f[4]) / (f[1] / 1e6), f[2] / 1000, f[3] / 1000, (long)f[4]);
        }
    }

    internal static Process StartGateway(string[] command, (string, string)[] environment)
    {
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start)!;
        // Its output (warnings and up) must be drained, or a full pipe would block it.
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitUntilUpAsync(int port, Process gateway)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !gateway.HasExited)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}/api/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException("The gateway process did not come up within 60 s.");
    }
}
