using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// pay/direct throughput against an organisation's payment partitions, under the simulated Table Storage limits
/// (<see cref="StorageLimitsPolicy"/>) scaled down so that they, not this machine, bind: one fresh organisation per
/// partition count, driven by wrk through the published gateway process. The storage entities a payment costs, in its
/// shard partition, in its key's and organisation's rows and in all, are measured from the simulator's own reports
/// (the gateway logs them every second; see <see cref="Reports"/>) during a quiet probe of sequential payments, and
/// give each figure its ceiling: nothing here knows how many rows a payment writes.
/// </summary>
public static partial class PartitionsLoad
{
    // Partition counts, in order (8 is Partitions:Default); BENCH_PARTITION_COUNTS changes them, e.g. to see whether
    // a figure depends on what ran before it.
    private static readonly int[] Counts =
    [
        .. (Environment.GetEnvironmentVariable("BENCH_PARTITION_COUNTS") ?? "1,2,5,8")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)),
    ];
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    // Sequential payments whose entities are counted: 40 span two blocks of the id counter (Ids:BlockSize 20).
    private const int ProbePayments = 40;

    /// <summary>
    /// No report line for this long means the gateway has stopped touching storage: it outlasts the longest back-off
    /// of a request still retrying (Storage:Retry's MaxDelay, 2 s, plus jitter) and the report interval.
    /// </summary>
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(3.5);

    public static async Task MeasureAsync(Azurite azurite, string configuration, TimeSpan duration, int concurrency,
        double scale)
    {
        // The service's targets at the bench's scale; the gateway gets the same settings, so the ceilings below come
        // from what it was told, not from constants of its own.
        var limits = new StorageLimitsOptions
        {
            Enabled = true, Scale = scale, EntitiesPerPartition = 2000, EntitiesPerAccount = 20000,
            ReportInterval = TimeSpan.FromSeconds(1),
        };
        var tenants = await SetUpAsync(azurite);

        var reports = new Reports();
        var port = ColdStart.FreePort();
        // Requests only, as on Azure where the host runs queue and timer functions apart: webhook delivery (the
        // payment-events queue) would add storage work of its own (the outbox row read and merged, the organisation
        // read, an attempt row) to the entities per payment, and CPU; it is off here and not counted. The benchmarks'
        // long storage deadlines (GatewayEnvironment) leave Storage:Retry's MaxRetries (4) to end a refused call:
        // about 3 s of back-off, then the API's 503.
        using var gateway = PaymentsLoad.StartGateway(PaymentsLoad.GatewayCommand(configuration),
        [
            .. ColdStart.GatewayEnvironment(azurite, port), .. PaymentsLoad.RequestsOnly(),
            ("Storage__Limits__Enabled", "true"),
            ("Storage__Limits__Scale", limits.Scale.ToString(CultureInfo.InvariantCulture)),
            ("Storage__Limits__EntitiesPerPartition",
                limits.EntitiesPerPartition.ToString(CultureInfo.InvariantCulture)),
            ("Storage__Limits__EntitiesPerAccount", limits.EntitiesPerAccount.ToString(CultureInfo.InvariantCulture)),
            ("Storage__Limits__ReportInterval", limits.ReportInterval.ToString("c", CultureInfo.InvariantCulture)),
            ("Logging__LogLevel__" + typeof(StorageLimitsPolicy).FullName, "Information"),
        ], reports.Add);
        var scripts = Directory.CreateTempSubdirectory("gateway-bench-partitions-");
        var results = new List<Result>();
        try
        {
            await PaymentsLoad.WaitUntilUpAsync(port, gateway);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                Timeout = TimeSpan.FromSeconds(30) };
            foreach (var (count, tenant) in tenants)
            {
                var script = await WriteScriptAsync(scripts, tenant);
                await reports.WaitQuietAsync(DateTimeOffset.UtcNow);
                var mark = reports.Count;
                var probed = await ProbeAsync(client, tenant);
                await reports.WaitQuietAsync(DateTimeOffset.UtcNow);
                var probe = reports.Since(mark);

                mark = reports.Count;
                var before = Cpu(gateway, azurite);
                var load = await WrkAsync(script, port, concurrency, WarmUp, duration);
                var after = Cpu(gateway, azurite);
                var cpu = (after.Gateway - before.Gateway, after.Azurite - before.Azurite);
                await reports.WaitQuietAsync(DateTimeOffset.UtcNow);
                results.Add(new Result(count, tenant, probed, probe, load, reports.Since(mark), cpu));
            }
        }
        finally
        {
            if (!gateway.HasExited)
            {
                gateway.Kill(entireProcessTree: true);
                await gateway.WaitForExitAsync();
            }
            scripts.Delete(recursive: true);
        }
        Print(results, limits, duration, concurrency);
    }

    /// <summary>
    /// One organisation per partition count, made by an operator with its payments spread over that many
    /// partitions from the start, and an API key of its own: set up in memory, without the simulator.
    /// </summary>
    private static async Task<List<(int Count, PaymentRoundTrips.Tenant Tenant)>> SetUpAsync(Azurite azurite)
    {
        await using var app = new RoundTrips.CountingApp(azurite, new RoundTrips.Counter(), timers: false);
        var tenants = new List<(int, PaymentRoundTrips.Tenant)>();
        foreach (var count in Counts)
        {
            var organisation = await RoundTrips.CreateOrganisationAsync(app, paymentPartitions: count);
            tenants.Add((count, await PaymentRoundTrips.CreateTenantAsync(app, organisation)));
        }
        return tenants;
    }

    /// <summary>Sequential pay/directs, alone on the gateway: the report lines meanwhile hold their entities.</summary>
    private static async Task<int> ProbeAsync(HttpClient client, PaymentRoundTrips.Tenant tenant)
    {
        var paid = 0;
        for (var i = 0; i < ProbePayments; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/pay/direct")
            {
                Content = PaymentRoundTrips.Form(PaymentRoundTrips.PayDirectBody),
            };
            request.Headers.Add("x-api-key", tenant.ApiKey);
            using var response = await client.SendAsync(request);
            if (response.IsSuccessStatusCode) paid++;
        }
        return paid;
    }

    private static (TimeSpan Gateway, TimeSpan Azurite) Cpu(Process gateway, Azurite azurite)
    {
        gateway.Refresh();
        return (gateway.TotalProcessorTime, azurite.CpuTime());
    }

    /// <summary>
    /// A wrk script of pay/directs without Idempotency-Key, counting answers by status (and the 503s that carried
    /// Retry-After) per wall-clock second in each thread; done() sums them over the threads setup() kept and prints
    /// one line per second, so the figure can leave out the warm-up and the partial last second.
    /// </summary>
    private static async Task<string> WriteScriptAsync(DirectoryInfo scripts, PaymentRoundTrips.Tenant tenant)
    {
        var script = Path.Combine(scripts.FullName, $"pay-{tenant.OrganisationId}.lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "POST"
            wrk.headers["x-api-key"] = "{{tenant.ApiKey}}"
            wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
            wrk.body = [==[{{PaymentRoundTrips.PayDirectBody}}]==]
            local threads = {}
            local kinds = { "ok", "busy", "busy_retry_after", "other" }
            ok, busy, busy_retry_after, other = {}, {}, {}, {}
            local function bump(counts, second) counts[second] = (counts[second] or 0) + 1 end
            setup = function(thread) table.insert(threads, thread) end
            response = function(status, headers, body)
              local second = os.time()
              if status == 200 then
                bump(ok, second)
              elseif status == 503 then
                bump(busy, second)
                for name, _ in pairs(headers) do
                  if string.lower(name) == "retry-after" then bump(busy_retry_after, second) break end
                end
              else
                bump(other, second)
              end
            end
            done = function(summary, latency, requests)
              local seconds = {}
              for _, thread in ipairs(threads) do
                for k, kind in ipairs(kinds) do
                  for second, n in pairs(thread:get(kind)) do
                    seconds[second] = seconds[second] or { 0, 0, 0, 0 }
                    seconds[second][k] = seconds[second][k] + n
                  end
                end
              end
              for second, t in pairs(seconds) do
                io.write(string.format("bench-second %d %d %d %d %d\n", second, t[1], t[2], t[3], t[4]))
              end
              local e = summary.errors
              io.write(string.format("bench-result %.0f %.0f %d\n", latency:percentile(50), latency:percentile(99),
                e.connect + e.read + e.write + e.timeout))
            end
            """);
        return script;
    }

    /// <summary>
    /// Answers a second over the whole seconds counted (after the warm-up); latencies in ms, of every answer of the
    /// run, warm-up included; socket errors and timeouts of the run.
    /// </summary>
    private sealed record Answers(double Ok, double Busy, double BusyWithRetryAfter, double Other, long SocketErrors,
        int Seconds, double P50, double P99, TimeSpan Wall);

    /// <summary>
    /// wrk for <paramref name="warmUp"/> then <paramref name="duration"/> without a pause, so that the simulator's
    /// buckets, full when it starts (one second's worth), are spent before the figure's seconds: those then show
    /// the sustained rate the ceilings are, not a burst.
    /// </summary>
    private static async Task<Answers> WrkAsync(string script, int port, int concurrency, TimeSpan warmUp,
        TimeSpan duration)
    {
        var threads = Math.Min(concurrency, Environment.ProcessorCount);
        // One second more: the last, partial second is left out.
        var seconds = (int)Math.Ceiling((warmUp + duration).TotalSeconds) + 1;
        var start = new ProcessStartInfo("wrk", ["-t", $"{threads}", "-c", $"{concurrency}",
            "-d", $"{seconds}s", "--timeout", "10s", "-s", script, $"http://127.0.0.1:{port}/api/v1/pay/direct"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var started = DateTimeOffset.UtcNow;
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException("wrk did not start: bench/run.sh installs it.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var lines = (await output).Split('\n');
        var result = lines.FirstOrDefault(l => l.StartsWith("bench-result ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"wrk printed no result (exit {process.ExitCode}): {await output}{await errors}");
        // Whole wall-clock seconds (os.time()'s) from the first that starts after the warm-up, for the duration.
        var first = (long)Math.Ceiling((started + warmUp).ToUnixTimeMilliseconds() / 1000.0);
        var counted = (int)duration.TotalSeconds;
        var sums = new double[4];
        foreach (var line in lines.Where(l => l.StartsWith("bench-second ", StringComparison.Ordinal)))
        {
            var f = line.Split(' ')[1..].Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            if (f[0] < first || f[0] >= first + counted) continue;
            for (var i = 0; i < 4; i++) sums[i] += f[i + 1];
        }
        var r = result.Split(' ')[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return new Answers(sums[0] / counted, sums[1] / counted, sums[2] / counted, sums[3] / counted, (long)r[2],
            counted, r[0] / 1000, r[1] / 1000, DateTimeOffset.UtcNow - started);
    }

    private sealed record Result(int Count, PaymentRoundTrips.Tenant Tenant, int Probed, Window Probe, Answers Load,
        Window Loaded, (TimeSpan Gateway, TimeSpan Azurite) Cpu)
    {
        public double PerSecond => Load.Ok;

        /// <summary>The organisation's payment partitions (shard 0 is its home partition).</summary>
        public string[] Shards { get; } = [.. Enumerable.Range(0, Count)
            .Select(shard => $"Payments/{PaymentRows.ShardPartition(Tenant.OrganisationId, shard)}")];
    }

    /// <summary>Ceilings of one figure, in payments a second, and what they come from.</summary>
    private sealed record Ceiling(double Shards, double Account, double Row, string[] Rows, double ShardEntities,
        double TotalEntities)
    {
        public double Value => Math.Min(Shards, Math.Min(Account, Row));

        /// <summary>
        /// Each ceiling within 1% of the lowest: "shards", "account", or the tables of the hottest other partitions.
        /// </summary>
        public string Binds => string.Join("+", new[]
        {
            (Shards, "shards"), (Account, "account"), (Row, string.Join("+", Rows.Select(r => r.Split('/')[0]))),
        }.Where(c => c.Item1 <= Value * 1.01).Select(c => c.Item2));
    }

    /// <summary>
    /// From the probe: the entities a payment puts in its shard partition (every Payments entity of the
    /// organisation's, each payment's all in one), in all, and in the hottest other partitions (its API key's lookup
    /// row, its organisation's row: read by every request, whatever N).
    /// </summary>
    private static Ceiling CeilingOf(Result result, StorageLimitsOptions limits)
    {
        var paid = Math.Max(1, result.Probed);
        // The Payments table's total: the probe is alone on the gateway, and a report line lists only its hottest
        // partitions.
        var shardEntities = result.Probe.Tables.GetValueOrDefault("Payments").Entities / (double)paid;
        var total = result.Probe.Entities / (double)paid;
        var others = result.Probe.Partitions
            .Where(p => !result.Shards.Contains(p.Key, StringComparer.Ordinal))
            .Select(p => (Name: p.Key, Entities: p.Value.Entities / (double)paid))
            .ToArray();
        var hottest = others.Length == 0 ? 0 : others.Max(p => p.Entities);
        return new Ceiling(
            result.Count * limits.PartitionRate / shardEntities,
            limits.AccountRate / total,
            hottest > 0 ? limits.PartitionRate / hottest : double.PositiveInfinity,
            [.. others.Where(p => p.Entities >= hottest * 0.99).Select(p => p.Name).Order(StringComparer.Ordinal)],
            shardEntities, total);
    }

    private static void Print(List<Result> results, StorageLimitsOptions limits, TimeSpan duration, int concurrency)
    {
        var one = results.FirstOrDefault(r => r.Count == 1)?.PerSecond;
        Console.WriteLine();
        RoundTrips.PrintWrapped("Payment partitions: pay/direct (no Idempotency-Key) under simulated Table Storage " +
            $"limits, {limits.PartitionRate:0.##} entities/s per partition and {limits.AccountRate:0.##} per account " +
            $"(scale {limits.Scale}); one fresh organisation per N, its payments over N partitions; wrk, " +
            $"{concurrency} connections, {duration.TotalSeconds:0} s per figure right after a " +
            $"{WarmUp.TotalSeconds:0} s warm-up; published gateway, HTTP functions only; payments/s counts 200s " +
            "only:", "", "");
        Console.WriteLine($"  {"N",2} {"payments/s",10} {"/(N x N=1)",10} {"ceiling",8} {"/ceiling",8} " +
            $"{"503/s",6} {"Retry-After",11} {"p50 ms",7} {"p99 ms",7} {"CPU gw+Az",9}  binds");
        foreach (var result in results)
        {
            var ceiling = CeilingOf(result, limits);
            var load = result.Load;
            var busy = load.Busy == 0 ? "-" : $"{load.BusyWithRetryAfter / load.Busy:0%}";
            var cpu = (result.Cpu.Gateway + result.Cpu.Azurite) / load.Wall / Environment.ProcessorCount;
            var scaled = one is { } first ? $"{result.PerSecond / (result.Count * first):0.00}" : "-";
            Console.WriteLine($"  {result.Count,2} {result.PerSecond,10:0.0} {scaled,10} {ceiling.Value,8:0.0} " +
                $"{result.PerSecond / ceiling.Value,8:0.00} {load.Busy,6:0.0} {busy,11} {load.P50,7:0} " +
                $"{load.P99,7:0} {cpu,9:0%}  {ceiling.Binds}");
        }
        RoundTrips.PrintWrapped("(ceiling = min(N x per-partition rate / entities per payment in its shard " +
            "partition, account rate / entities per payment in all, per-partition rate / entities per payment in the " +
            "hottest other partition); binds: the ceilings within 1% of it; Retry-After: the 503s' share that " +
            "carried it; latencies of the whole run, warm-up included; CPU: the gateway's and Azurite's share of " +
            $"{Environment.ProcessorCount} cores during the run, wrk's and this process's not counted)", "   ", "  ");
        foreach (var result in results)
        {
            var ceiling = CeilingOf(result, limits);
            var paid = (double)Math.Max(1, result.Probed);
            var others = result.Probe.Partitions
                .Where(p => !result.Shards.Contains(p.Key, StringComparer.Ordinal))
                .OrderByDescending(p => p.Value.Entities).ThenBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => $"{Label(p.Key, result.Tenant)} {p.Value.Entities / paid:0.00}");
            RoundTrips.PrintWrapped($"entities per payment (probe: {ProbePayments} sequential pay/directs, " +
                $"{result.Probed} answered 200): {ceiling.ShardEntities:0.00} in its shard partition, " +
                $"{ceiling.TotalEntities:0.00} in all; {string.Join(", ", others)}. Ceilings, payments/s: shards " +
                $"{ceiling.Shards:0.0}, account {ceiling.Account:0.0}, " +
                $"{string.Join(" and ", ceiling.Rows.Select(r => Label(r, result.Tenant)))} {ceiling.Row:0.0}" +
                (ceiling.Rows.Length > 1 ? " each." : "."), "      ", $"  N={result.Count}: ");
            var shards = result.Shards.Select(s => (Shard: s, Entities: result.Loaded.PartitionEntities(s))).ToArray();
            var hottest = shards.MaxBy(s => s.Entities);
            var spread = Math.Max(1, shards.Sum(s => s.Entities));
            var tables = result.Loaded.Tables
                .OrderByDescending(t => t.Value.Entities).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => $"{t.Key} {t.Value.Entities}"
                    + (t.Value.Refused == 0 ? "" : $" ({t.Value.Refused} refused)"));
            RoundTrips.PrintWrapped($"The run (warm-up and the requests still retrying after it included): " +
                $"{result.Loaded.Entities} entities admitted, {result.Loaded.Refused} storage requests refused " +
                $"({result.Loaded.RefusedByAccount} by the account's rate); by table: {string.Join(", ", tables)}; " +
                $"hottest shard {Label(hottest.Shard, result.Tenant)} with {hottest.Entities / (double)spread:0%} of " +
                $"the shards' entities (even: {1.0 / result.Count:0%}).", "      ", "      ");
            if (result.Load.Other + result.Load.SocketErrors > 0)
            {
                Console.WriteLine($"      Also {result.Load.Other:0.0}/s answers neither 200 nor 503, " +
                    $"{result.Load.SocketErrors} socket errors or timeouts in the run.");
            }
        }
    }

    /// <summary>A partition named for the reader: the organisation's by table and shard, a key's by table.</summary>
    private static string Label(string partition, PaymentRoundTrips.Tenant tenant)
    {
        var home = PaymentRows.Partition(tenant.OrganisationId);
        var (table, key) = (partition.Split('/')[0], partition[(partition.IndexOf('/') + 1)..]);
        return (table, key) switch
        {
            ("Payments", _) when key == home => "Payments/org (home)",
            ("Payments", _) when key.StartsWith(home + "-", StringComparison.Ordinal) =>
                $"Payments/org{key[home.Length..]}",
            ("ApiKeys", _) => "ApiKeys/key",
            ("Identity", _) when key == Identity.IdentityKeys.Partition(tenant.OrganisationId) => "Identity/org",
            _ => partition,
        };
    }

    /// <summary>Entities admitted and requests refused, summed over report lines.</summary>
    private readonly record struct Counted(long Entities, long Refused);

    /// <summary>Report lines summed: in all, by table, by table/partition (the hottest each line listed).</summary>
    private sealed class Window
    {
        public long Entities { get; set; }
        public long Refused { get; set; }
        public long RefusedByAccount { get; set; }
        public Dictionary<string, Counted> Tables { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Counted> Partitions { get; } = new(StringComparer.Ordinal);

        public long PartitionEntities(string partition) => Partitions.GetValueOrDefault(partition).Entities;
    }

    /// <summary>
    /// The simulator's report lines from the gateway's JSON console log (<see cref="StorageLimitsPolicy"/> logs what
    /// it admitted and refused each second it saw storage work), with when each arrived.
    /// </summary>
    private sealed partial class Reports
    {
        private readonly Lock _lock = new();
        private readonly List<JsonElement> _lines = [];
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public int Count
        {
            get { lock (_lock) return _lines.Count; }
        }

        public void Add(string line)
        {
            if (!line.Contains(typeof(StorageLimitsPolicy).FullName!, StringComparison.Ordinal)) return;
            var root = JsonDocument.Parse(line).RootElement;
            if (root.GetProperty("Category").GetString() != typeof(StorageLimitsPolicy).FullName) return;
            lock (_lock)
            {
                _lines.Add(root.GetProperty("State").Clone());
                _last = DateTimeOffset.UtcNow;
            }
        }

        /// <summary>
        /// Waits until no line came for <see cref="Silence"/> since <paramref name="from"/> (a minute at most).
        /// </summary>
        public async Task WaitQuietAsync(DateTimeOffset from)
        {
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
            while (DateTimeOffset.UtcNow < deadline)
            {
                DateTimeOffset last;
                lock (_lock) last = _last > from ? _last : from;
                if (DateTimeOffset.UtcNow - last >= Silence) return;
                await Task.Delay(250);
            }
            Console.WriteLine("  (the gateway's storage did not go quiet within a minute: the figures may overlap)");
        }

        /// <summary>The lines from the <paramref name="first"/>-th on, summed.</summary>
        public Window Since(int first)
        {
            JsonElement[] lines;
            lock (_lock) lines = [.. _lines.Skip(first)];
            var window = new Window();
            foreach (var state in lines)
            {
                window.Entities += Number(state, "Entities");
                window.Refused += Number(state, "Refused");
                window.RefusedByAccount += Number(state, "ByAccount");
                AddAll(window.Tables, state.GetProperty("Tables").GetString()!);
                AddAll(window.Partitions, state.GetProperty("Hottest").GetString()!);
            }
            return window;
        }

        private static long Number(JsonElement state, string name) => state.GetProperty(name) switch
        {
            { ValueKind: JsonValueKind.Number } number => number.GetInt64(),
            var text => long.Parse(text.GetString()!, CultureInfo.InvariantCulture),
        };

        // "Name 12" or "Name 12 (3 refused)", comma-separated, as StorageLimitsPolicy writes them.
        private static void AddAll(Dictionary<string, Counted> into, string list)
        {
            foreach (var item in list.Split(", ", StringSplitOptions.RemoveEmptyEntries))
            {
                var match = Item().Match(item);
                if (!match.Success) throw new InvalidOperationException($"Unexpected report item: {item}");
                var counted = into.GetValueOrDefault(match.Groups["name"].Value);
                into[match.Groups["name"].Value] = new Counted(
                    counted.Entities + long.Parse(match.Groups["entities"].Value, CultureInfo.InvariantCulture),
                    counted.Refused + (match.Groups["refused"].Success
                        ? long.Parse(match.Groups["refused"].Value, CultureInfo.InvariantCulture) : 0));
            }
        }

        [GeneratedRegex(@"^(?<name>.+?) (?<entities>\d+)(?: \((?<refused>\d+) refused\))?$")]
        private static partial Regex Item();
    }
}
