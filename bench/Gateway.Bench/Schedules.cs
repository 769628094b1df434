using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Gateway.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Bench;

/// <summary>
/// Issue 5 §6: a backlog of due occurrences (many schedules, each with one occurrence due, the daily run's shape)
/// charged by the real <see cref="PaymentScheduleRunner"/> (the gateway's own DI container, hosted in memory, its
/// storage round trips counted), against the storage floor: the same round trips per occurrence from a C# loop at the
/// runner's parallelism, same Azurite, same run. Each figure gets fresh tables (a table prefix of its own) seeded
/// alike, so none meets a table another has grown. Seeding is not timed. In memory rather than the published
/// process: there, the local queue poller would deliver the run's 10,000 events (webhook work) while the run is
/// measured, and the minute timer would start runs of its own; no setting turns either off.
/// </summary>
public static class SchedulesLoad
{
    // What the API allows a card (ScheduleOptions.MaxActivePerCard), and many merchants of a few hundred schedules
    // each: Azurite (LokiJS in memory) finds a row by filtering its partition's rows, so its cost per operation grows
    // with the partition (schedules, cards, and six rows per charged occurrence). At 2,500 schedules an organisation
    // (17,500 rows by the end) the emulator set the pace on both sides: the warm-ups, the floor and one gateway figure
    // took about 9 minutes.
    private const int SchedulesPerCard = ScheduleOptions.MaxActivePerCard;
    private const int SchedulesPerOrganisation = 250;
    private const int Warmup = 500;
    private const string TimeZone = "Africa/Johannesburg";

    // The organisations' test clock: the schedules start that day (monthly, 12 charges), so exactly their first
    // occurrence is due, four hours after ScheduleOptions.ChargeTime (inside the catch-up window).
    private static readonly DateOnly StartDate = new(2027, 3, 1);
    private static readonly DateTime ClockLocal = new(2027, 3, 1, 10, 0, 0);

    private static long _nextSchedule = 700_000_000;
    private static int _nextSet;

    /// <summary>A seeded set: its tables' prefix and event queue, and its organisations with their schedule count.</summary>
    private sealed record Set(string Prefix, string Queue, IReadOnlyList<long> Organisations, int Occurrences);

    private sealed record Figures(string Name, int Occurrences, double Seconds, double AzuriteCpu, double CallerCpu,
        Dictionary<string, double> Steps, string Check, int Failures)
    {
        public double PerSecond => Occurrences / Seconds;
    }

    public static async Task MeasureAsync(Azurite azurite, int occurrences, int parallelism)
    {
        // Warm-up of both sides (JIT, connection pools, the id blocks) on sets of their own; the gateway's also gives
        // the transaction and event rows as the runner writes them, which the floor copies.
        var (warmGateway, template) = await GatewayAsync(azurite, await SeedAsync(azurite, Warmup), runners: 1, parallelism, "warm-up");
        await FloorAsync(azurite, await SeedAsync(azurite, Warmup), template, parallelism, "warm-up");

        Console.WriteLine();
        Console.WriteLine($"Payment schedules: {occurrences} due occurrences per figure ({(occurrences + SchedulesPerOrganisation - 1) / SchedulesPerOrganisation} test-mode organisations of up to " +
            $"{SchedulesPerOrganisation} monthly schedules, {SchedulesPerCard} per stored card, each with its first occurrence due),");
        Console.WriteLine($"charged by PaymentScheduleRunner.RunOnceAsync (the gateway's DI container in this process, Schedules:Parallelism {parallelism}, simulator");
        Console.WriteLine("acquirer), against the storage floor: the same round trips per occurrence from a C# loop at the same parallelism, same");
        Console.WriteLine($"Azurite; fresh tables for each figure; the floor runs before and after the gateway's figures (warm-up: {Warmup} occurrences each side,");
        Console.WriteLine($"gateway {warmGateway.PerSecond:0}/s). Wall time from the run's start to its return (every occurrence committed and its event enqueued):");
        Console.WriteLine($"  {"",-28} {"occurrences/s",13} {"wall s",7}  {"CPU ms/occurrence",-17}");
        Console.WriteLine($"  {"",-28} {"",13} {"",7}  {"Azurite",8} {"caller",8}");
        var results = new List<Figures>();
        async Task Add(Task<Figures> measuring)
        {
            var r = await measuring;
            results.Add(r);
            Console.WriteLine($"  {r.Name,-28} {r.PerSecond,13:0} {r.Seconds,7:0.0}  {r.AzuriteCpu,8:0.00} {r.CallerCpu,8:0.00}");
            Console.WriteLine($"      round trips per occurrence {r.Steps.Values.Sum():0.00} = {Format(r.Steps)}");
            Console.WriteLine($"      check (storage read back): {r.Check}{(r.Failures > 0 ? $"; {r.Failures} schedules left for a later run" : "")}");
        }
        await Add(FloorAsync(azurite, await SeedAsync(azurite, occurrences), template, parallelism, "storage floor, before"));
        await Add(GatewayFiguresAsync(azurite, await SeedAsync(azurite, occurrences), 1, parallelism, "gateway, 1 runner"));
        await Add(GatewayFiguresAsync(azurite, await SeedAsync(azurite, occurrences), 3, parallelism, "gateway, 3 runners at once"));
        await Add(FloorAsync(azurite, await SeedAsync(azurite, occurrences), template, parallelism, "storage floor, after"));

        var (before, after) = (results[0].PerSecond, results[3].PerSecond);
        foreach (var r in results.Where(r => r.Name.StartsWith("gateway", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  {r.Name + " / floor",-44} {r.PerSecond / before,6:0.00}x (before) {r.PerSecond / after,6:0.00}x (after)");
        }
        Console.WriteLine("  (floor per occurrence: schedule REPLACE with If-Match (the claim), card GET, the id counter's share (blocks of 20), one");
        var size = PaymentRoundTrips.Size(template.Transaction);
        Console.WriteLine($"   7-row batch (transaction row of {size} bytes of properties as JSON, 3 index rows, outbox event, " +
            "occurrence row,");
        Console.WriteLine("   schedule REPLACE with If-Match), one queue send; per organisation its row GET and the due-schedules query, per run the");
        Console.WriteLine("   register query. Round trips count every attempt (retries, 412s). Caller CPU is this process's: the runner or the floor");
        Console.WriteLine($"   loop; {Environment.ProcessorCount} cores shared by Azurite and this process)");
    }

    private static async Task<Figures> GatewayFiguresAsync(Azurite azurite, Set set, int runners, int parallelism, string name) =>
        (await GatewayAsync(azurite, set, runners, parallelism, name)).Figures;

    private static string Format(Dictionary<string, double> steps) =>
        string.Join(", ", steps.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value:0.00}"));

    /// <summary>Set in the async context of a timed run: the storage calls made there are the run's own.</summary>
    private static readonly AsyncLocal<bool> InRun = new();

    /// <summary>
    /// The gateway in memory with tables and an event queue of its own, no local timers or queue pollers, its storage
    /// round trips counted: those made within a timed run (<see cref="InRun"/>) as the run's own, any other as
    /// background.
    /// </summary>
    private sealed class RunnerApp(Azurite azurite, RoundTrips.Counter counter, Set set, int parallelism) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting(StorageConnection.SettingName, azurite.ConnectionString);
            foreach (var (key, value) in RoundTrips.RetrySettings(":")) builder.UseSetting(key, value);
            builder.UseSetting("Storage:TablePrefix", set.Prefix);
            builder.UseSetting("Payments:EventQueue", set.Queue);
            builder.UseSetting("Schedules:Parallelism", parallelism.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
            builder.ConfigureTestServices(services =>
            {
                // The run is started by hand and timed: the minute timer must not start one of its own, and the local
                // queue poller would deliver the run's events (webhook work) while it is being measured.
                foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)
                             && (d.ImplementationType == typeof(LocalTimerScheduler) || d.ImplementationType == typeof(LocalQueueListener))).ToList())
                {
                    services.Remove(hosted);
                }
                var policy = new RoundTrips.CountingPolicy(counter, () => InRun.Value);
                services.AddAzureClients(clients =>
                    clients.ConfigureDefaults(options => options.AddPolicy(policy, HttpPipelinePosition.PerRetry)));
            });
        }
    }

    /// <summary>
    /// Fresh tables: test-mode organisations with their test clock at <see cref="ClockLocal"/>, registered for runs,
    /// with stored cards and <paramref name="occurrences"/> monthly schedules, each with only its first occurrence due.
    /// Written with the gateway's own storage code (as the tests' ScheduleKit does), not through the API.
    /// </summary>
    private static async Task<Set> SeedAsync(Azurite azurite, int occurrences)
    {
        var n = Interlocked.Increment(ref _nextSet);
        var set = new Set($"bsch{n}x{Guid.NewGuid().ToString("N")[..6]}", $"bench-schedules-{n}-{Guid.NewGuid().ToString("N")[..6]}", [], occurrences);
        await using var app = new RunnerApp(azurite, new RoundTrips.Counter(), set, parallelism: 8);
        var services = app.Services;
        var (operatorName, password) = ("bench-operator-" + Guid.NewGuid().ToString("N")[..8], "bench-password-1");
        await services.GetRequiredService<UserService>().CreateOperatorAsync(operatorName, password, CancellationToken.None);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = RoundTrips.Basic(operatorName, password);
        var identity = services.GetRequiredService<IdentityStore>();
        var store = services.GetRequiredService<ScheduleStore>();
        var vault = services.GetRequiredService<CardVault>();
        var payments = services.GetRequiredService<PaymentStore>();
        var tables = services.GetRequiredService<GatewayTables>();
        var organisations = new List<long>();
        for (var left = occurrences; left > 0; left -= SchedulesPerOrganisation)
        {
            var body = await RoundTrips.Expect(client.PostAsync("/api/v1/organisation", new FormUrlEncodedContent(
            [
                KeyValuePair.Create("Organisation[name]", "Bench schedules"), KeyValuePair.Create("Organisation[mode]", "test"),
                KeyValuePair.Create("Organisation[timezone]", TimeZone),
                KeyValuePair.Create("User[username]", "bench-admin-" + Guid.NewGuid().ToString("N")[..8]), KeyValuePair.Create("User[password]", password),
            ])), 201);
            var organisationId = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("Organisation").GetProperty("id").GetInt64();
            organisations.Add(organisationId);

            // The test clock, as ScheduleKit.ClockAsync sets it.
            var organisation = (await identity.GetOrganisationAsync(organisationId, CancellationToken.None))!;
            var clock = new DateTimeOffset(ClockLocal, ApiTime.Zone(organisation.TimeZone).GetUtcOffset(ClockLocal));
            var clocked = TableActions.Replace((organisation with { TestClock = clock }).ToEntity(), organisation.ETag);
            if (!await identity.CommitAsync([clocked], CancellationToken.None))
            {
                throw new InvalidOperationException("The test clock was not set.");
            }
            await store.RegisterAsync(organisationId, CancellationToken.None);

            var schedules = new List<TableTransactionAction>();
            var count = Math.Min(left, SchedulesPerOrganisation);
            for (var c = 0; c * SchedulesPerCard < count; c++)
            {
                var card = vault.Seal(organisationId, new CardDetails("4242424242424242", 12, 2030, "", null), $"bench-card-{c}", CardSources.Api, DateTimeOffset.UtcNow);
                if (!await payments.CommitAsync(CardVault.Inserts(card), CancellationToken.None)) throw new InvalidOperationException("A card was refused.");
                for (var s = c * SchedulesPerCard; s < Math.Min(count, (c + 1) * SchedulesPerCard); s++)
                {
                    var schedule = new PaymentSchedule
                    {
                        Id = Interlocked.Increment(ref _nextSchedule), OrganisationId = organisationId, CardGuid = card.Guid, Interval = Intervals.Monthly,
                        AmountMinor = 1_000 + s, Currency = "ZAR", StartDate = StartDate, Count = 12, Reference = $"bench-schedule-{s}",
                        State = ScheduleStates.Active, Created = DateTimeOffset.UtcNow,
                    };
                    schedules.Add(TableActions.Insert(schedule.ToEntity()));
                }
            }
            await Parallel.ForEachAsync(schedules.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
            {
                _ = await tables.Payments.TrySubmitAsync(chunk, ct)
                    ?? throw new InvalidOperationException("A schedule batch was refused.");
            });
        }
        return set with { Organisations = organisations };
    }

    /// <summary>The transaction and outbox event rows of one charged occurrence, as the runner wrote them.</summary>
    private sealed record Template(TableEntity Transaction, TableEntity Event);

    /// <summary>
    /// <paramref name="runners"/> gateway instances over the set's tables (one in-memory app each, as a scaled-out
    /// Function App runs them), started together; timed from the start to the last run's return, by when every
    /// occurrence it charged is committed and its event enqueued.
    /// </summary>
    private static async Task<(Figures Figures, Template Template)> GatewayAsync(Azurite azurite, Set set, int runners, int parallelism, string name)
    {
        var counter = new RoundTrips.Counter();
        var apps = Enumerable.Range(0, runners).Select(_ => new RunnerApp(azurite, counter, set, parallelism)).ToList();
        try
        {
            // Started (tables checked, options validated) before the clock starts.
            foreach (var app in apps) _ = app.Services;
            var before = counter.Own.Snapshot();
            using var self = Process.GetCurrentProcess();
            var cpu = Cpu(azurite, self);
            var clock = Stopwatch.StartNew();
            var runs = await Task.WhenAll(apps.Select(app => Task.Run(async () =>
            {
                InRun.Value = true;
                using var scope = app.Services.CreateScope();
                return await scope.ServiceProvider.GetRequiredService<PaymentScheduleRunner>().RunOnceAsync(CancellationToken.None);
            })));
            var seconds = clock.Elapsed.TotalSeconds;
            var (azuriteCpu, callerCpu) = Since(azurite, self, cpu);
            var steps = Steps(counter.Own, before, azurite, set.Occurrences);
            var tables = apps[0].Services.GetRequiredService<GatewayTables>();
            var queue = apps[0].Services.GetRequiredService<QueueServiceClient>().GetQueueClient(set.Queue);
            var charged = runs.Sum(r => r.Occurrences);
            var check = await CheckAsync(tables, queue, set) + $"; runs reported {charged} charged";
            var template = await TemplateAsync(tables, set.Organisations[0]);
            return (new Figures(name, set.Occurrences, seconds, azuriteCpu / set.Occurrences, callerCpu / set.Occurrences, steps, check, runs.Sum(r => r.Failures)), template);
        }
        finally
        {
            foreach (var app in apps) await app.DisposeAsync();
        }
    }

    private static async Task<Template> TemplateAsync(GatewayTables tables, long organisationId)
    {
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), PaymentRows.TransactionPrefix);
        await foreach (var transaction in tables.Payments.QueryAsync<TableEntity>(filter, maxPerPage: 1))
        {
            var id = PaymentRows.TransactionId(transaction.RowKey);
            var eventRow = PaymentRows.EventRow(id, transaction.GetInt32("Version") ?? 1);
            var paymentEvent = await tables.Payments.FindAsync(transaction.PartitionKey, eventRow)
                ?? throw new InvalidOperationException("The charged occurrence has no outbox event.");
            return new Template(transaction, paymentEvent);
        }
        throw new InvalidOperationException("The warm-up charged nothing.");
    }

    /// <summary>
    /// The storage floor: what the runner must do per occurrence, with the storage clients directly, at the runner's
    /// parallelism within an organisation and organisations one after another, as RunOnceAsync goes.
    /// </summary>
    private static async Task<Figures> FloorAsync(Azurite azurite, Set set, Template template, int parallelism, string name)
    {
        var counter = new RoundTrips.Counter();
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite, counter), set.Prefix);
        var queue = RoundTrips.Queues(azurite, counter).GetQueueClient(set.Queue);
        await queue.CreateIfNotExistsAsync();
        var ids = new IdAllocator(tables, Options.Create(new IdOptions()));
        var lease = new ScheduleOptions().ClaimLease;
        var before = counter.Own.Snapshot();
        using var self = Process.GetCurrentProcess();
        var cpu = Cpu(azurite, self);
        var clock = Stopwatch.StartNew();
        var failures = 0;

        // ScheduleStore's register and due queries, as the runner makes them.
        var register = TableClient.CreateQueryFilter($"PartitionKey ge {"sched-"} and PartitionKey lt {"sched."}");
        var organisations = new List<long>();
        await foreach (var e in tables.Lookups.QueryAsync<TableEntity>(register, select: ["OrganisationId"]))
        {
            organisations.Add(e.GetInt64("OrganisationId")!.Value);
        }
        foreach (var organisationId in organisations)
        {
            var partition = PaymentRows.Partition(organisationId);
            _ = await tables.Identity.FindAsync(IdentityKeys.Partition(organisationId), Organisation.RowKey)
                ?? throw new InvalidOperationException("No organisation row.");
            var today = ScheduleCalendar.Store(StartDate);
            var filter = TableFilters.And(TableFilters.RowPrefix(partition, PaymentSchedule.RowPrefix), TableClient.CreateQueryFilter(
                $"(State eq {ScheduleStates.Active} and NextDate le {today}) or Claimed eq {true}"));
            var due = new List<TableEntity>();
            await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter)) due.Add(e);
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (row, ct) =>
            {
                try
                {
                    var schedule = PaymentSchedule.FromEntity(organisationId, row);
                    var claim = new OccurrenceClaim(schedule.Next, "floor", DateTimeOffset.UtcNow + lease, ChargeDecisions.Charge);
                    var claiming = (schedule with { Claim = claim }).ToEntity();
                    var claimed = await tables.Payments.TryReplaceAsync(claiming, row.ETag, ct)
                        ?? throw new InvalidOperationException("The claim lost its ETag.");
                    _ = await tables.Payments.FindAsync(partition, StoredCard.Row(schedule.CardGuid), cancellationToken: ct)
                        ?? throw new InvalidOperationException("No card row.");
                    var id = await ids.NextAsync(PaymentService.TransactionSequence, ct);
                    var sequence = template.Transaction.GetInt32("Version") ?? 1;
                    var advanced = schedule with { Next = schedule.Next + 1 };
                    var occurrence = new Occurrence(schedule.Id, schedule.Next, schedule.DateOf(schedule.Next), id, TransactionStatus.Complete, null);
                    // PaymentStore.NewTransaction's rows, then ScheduleStore.Booked's, in their order.
                    var (transactionRow, eventRow) = (PaymentRows.TransactionRow(id), PaymentRows.EventRow(id, sequence));
                    _ = await tables.Payments.TrySubmitAsync(
                    [
                        TableActions.Insert(PaymentRoundTrips.Copy(template.Transaction, partition, transactionRow)),
                        IndexRow(partition, PaymentRows.GatewayReferenceRow(Guid.NewGuid().ToString()), id),
                        IndexRow(partition, PaymentRows.MerchantReferenceRow(schedule.Reference, id), id),
                        IndexRow(partition, PaymentRows.PaymentKeyRow(Guid.NewGuid().ToString("N")), id),
                        TableActions.Insert(PaymentRoundTrips.Copy(template.Event, partition, eventRow)),
                        TableActions.Insert(occurrence.ToEntity(organisationId, DateTimeOffset.UtcNow)),
                        TableActions.Replace(advanced.ToEntity(), claimed),
                    ], ct) ?? throw new InvalidOperationException("The floor's batch was refused.");
                    var message = new PaymentEvent(Guid.CreateVersion7().ToString(), organisationId, id, sequence, "success", TransactionStatus.Complete, new JsonObject());
                    await queue.SendMessageAsync(message.QueueMessage(), ct);
                }
                catch (Exception error) when (error is RequestFailedException or HttpRequestException
                                                   or InvalidOperationException || StorageFaults.IsUnavailable(error))
                {
                    Interlocked.Increment(ref failures);
                }
            });
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var (azuriteCpu, callerCpu) = Since(azurite, self, cpu);
        var steps = Steps(counter.Own, before, azurite, set.Occurrences);
        var check = await CheckAsync(tables, queue, set);
        return new Figures(name, set.Occurrences, seconds, azuriteCpu / set.Occurrences, callerCpu / set.Occurrences, steps, check, failures);
    }

    /// <summary>An index row as PaymentStore writes it.</summary>
    private static TableTransactionAction IndexRow(string partition, string row, long transactionId) =>
        TableActions.Insert(new TableEntity(partition, row) { ["Kind"] = "index", ["TransactionId"] = transactionId });

    /// <summary>Occurrence rows, transaction rows and advanced schedules read back from storage, and the events on the queue.</summary>
    private static async Task<string> CheckAsync(GatewayTables tables, QueueClient queue, Set set)
    {
        var (occurrenceRows, transactionRows, advanced, schedules) = (0, 0, 0, 0);
        foreach (var organisationId in set.Organisations)
        {
            var partition = PaymentRows.Partition(organisationId);
            IAsyncEnumerable<TableEntity> Rows(string prefix, string[] select) =>
                tables.Payments.QueryAsync<TableEntity>(TableFilters.RowPrefix(partition, prefix), select: select);
            await foreach (var _ in Rows("occ-", ["RowKey"])) occurrenceRows++;
            await foreach (var _ in Rows(PaymentRows.TransactionPrefix, ["RowKey"])) transactionRows++;
            await foreach (var e in Rows(PaymentSchedule.RowPrefix, ["Next", "Claimed"]))
            {
                schedules++;
                if (e.GetInt32("Next") == 1 && e.GetBoolean("Claimed") != true) advanced++;
            }
        }
        var queued = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var ok = occurrenceRows == set.Occurrences && transactionRows == set.Occurrences && advanced == set.Occurrences && queued == set.Occurrences;
        return $"{(ok ? "OK" : "MISMATCH")}: {occurrenceRows} occurrence rows, {transactionRows} transaction rows, {advanced} of {schedules} schedules advanced by one, {queued} events queued";
    }

    /// <summary>Round trips since <paramref name="before"/> per occurrence, by kind.</summary>
    private static Dictionary<string, double> Steps(
        RoundTrips.Tally tally, Dictionary<RoundTrips.Kind, int> before, Azurite azurite, int occurrences) =>
        tally.Since(before)
            .GroupBy(k => $"{(k.Key.Port == azurite.QueuePort ? "queue" : "table")} {k.Key.Method}")
            .ToDictionary(g => g.Key, g => g.Sum(k => k.Value) / (double)occurrences);

    private static (TimeSpan Azurite, TimeSpan Caller) Cpu(Azurite azurite, Process self)
    {
        self.Refresh();
        return (azurite.CpuTime(), self.TotalProcessorTime);
    }

    private static (double Azurite, double Caller) Since(Azurite azurite, Process self, (TimeSpan Azurite, TimeSpan Caller) before)
    {
        var now = Cpu(azurite, self);
        return ((now.Azurite - before.Azurite).TotalMilliseconds, (now.Caller - before.Caller).TotalMilliseconds);
    }
}
