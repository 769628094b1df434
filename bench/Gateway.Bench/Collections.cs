using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Gateway.Api;
using Gateway.Collections;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
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
/// Collections (document 002): a day's debit orders of one organisation, booked and sent to the bank by the real
/// <see cref="CollectionsSubmission"/>, then the bank's answers applied by the real
/// <see cref="CollectionsBankResults"/> (the gateway's DI container hosted in memory, its storage round trips
/// counted), each against the storage floor: the same round trips from a C# loop, with copies of the rows the
/// gateway wrote, at the same parallelism and in the same batch shapes, same Azurite, same run. Each figure gets
/// fresh tables and queues (a prefix of its own) seeded alike, so none meets a partition another has grown (Azurite
/// filters a partition's rows on every lookup). In memory rather than the published process, as
/// <see cref="SchedulesLoad"/>: there the five-minute timer and the queue listener would run on their own while a
/// run is measured.
/// </summary>
public static partial class CollectionsLoad
{
    private const int Warmup = 200;
    private const string TimeZone = "Africa/Johannesburg";

    // A Wednesday (a business day): each monthly payment's first occurrence is due then, and only that one.
    private static readonly DateOnly ActionDate = new(2027, 9, 1);
    private const string DueClock = "2027-09-01 08:00:00";

    // The next business day, when the simulated bank answers a batch of that action date.
    private const string AnswerClock = "2027-09-02 08:00:00";

    // The simulated bank's test accounts: paid, and unpaid "INSUFFICIENT FUNDS" for one debtor in ten.
    private const string PaidAccount = "1000000000";
    private const string UnpaidAccount = "1000000002";
    private const int UnpaidEvery = 10;

    // The stages counted apart: the submission run, in its phases told apart by RunOnceAsync's queries (see
    // Calls.Add), then the second run, which queues the answers, and the drain of the answers.
    private const string Submission = "submission";
    private const string PerRun = "run";
    private const string Booking = "booking";
    private const string Batches = "batches";
    private const string Fetch = "fetch";
    private const string Drain = "drain";

    private static int _nextSet;

    /// <summary>Set in the async context of measured work: the storage calls made there are counted.</summary>
    private static readonly AsyncLocal<bool> InRun = new();

    /// <summary>One debtor's rows: a customer, a bank account, an active EFT mandate and a monthly payment.</summary>
    private sealed record Debtor(string PaymentId, string MandateId, string AccountId, string Reference, bool Unpaid);

    /// <summary>A seeded set: its tables' prefix, queues, organisation (and admin), and debtors by payment.</summary>
    private sealed record Set(string Prefix, string EventQueue, string ResultsQueue, long OrganisationId, string Admin,
        string Password, IReadOnlyDictionary<string, Debtor> Debtors)
    {
        public string Partition => CollectionsStore.Partition(OrganisationId);
        public int Batches(int batchSize) => (Debtors.Count + batchSize - 1) / batchSize;
    }

    /// <summary>Wall time, and the CPU time Azurite and this process spent meanwhile.</summary>
    private sealed record Timing(double Seconds, TimeSpan Azurite, TimeSpan Caller);

    /// <summary>One side's figures: the submission run, the answers' drain, their round trips, its check.</summary>
    private sealed record Side(string Name, int Debits, int Batches, Timing Submit, Timing Drain, Calls Calls,
        string Check)
    {
        public double DebitsPerSecond => Debits / Submit.Seconds;
        public double AnswersPerSecond => Debits / Drain.Seconds;
    }

    /// <summary>The rows the gateway wrote (read back after its warm-up), which the floor writes copies of.</summary>
    private sealed record Templates(TableEntity Pending, TableEntity Submitted, TableEntity Paid, TableEntity Unpaid,
        TableEntity SubmissionEvent, TableEntity ResultsEvent);

    public static async Task MeasureAsync(Azurite azurite, int debits)
    {
        var options = new CollectionsOptions();
        // host.json's queues section, as the local listener reads it (next to this executable, as next to the host).
        var host = new QueueHostOptions();
        QueueHostOptions.LoadFromHostJson(host, Path.Combine(AppContext.BaseDirectory, "host.json"));

        // Warm-up of both sides (JIT, connection pools) on sets of their own; the gateway's also gives the rows as it
        // writes them, which the floor copies.
        var (warmGateway, templates) = await GatewayAsync(azurite, await SeedAsync(azurite, Warmup), options, "warm-up",
            readTemplates: true);
        await FloorAsync(azurite, await SeedAsync(azurite, Warmup), templates!, options, host, "warm-up");

        Console.WriteLine();
        RoundTrips.PrintWrapped($"Collections (document 002): {debits} due debit orders per figure, one test-mode " +
            $"organisation (a customer, bank account, active EFT mandate and monthly payment per debtor, one in " +
            $"{UnpaidEvery} on the unpaid test account {UnpaidAccount}; written as rows with the gateway's own row " +
            "builders (CollectionsStore.Row etc.) in 100-row batches, not timed), its test clock at the action " +
            $"date ({DueClock}, set through the API). Submission: one CollectionsSubmission.RunOnceAsync (the " +
            "gateway's DI container in this process, local timers and queue listener removed, " +
            "Collections:Parallelism " +
            $"{options.Parallelism}, BatchSize {options.BatchSize}, the simulated bank), from its start to its " +
            "return: every debit booked, its batch committed, its event enqueued, sent to the bank and marked sent. " +
            $"Bank results: the clock moved to {AnswerClock}, a second run queues the answers (not timed), then the " +
            "results queue is drained through CollectionsBankResults.Run by the local host's FunctionInvoker in its " +
            $"listener's shape (host.json: batches of {host.BatchSize}, the next once no more than " +
            $"{host.NewBatchThreshold ?? host.BatchSize / 2} run, each message deleted after its run), first receive " +
            "to last delete. Storage floor: the same round trips from a C# loop with copies of the gateway's rows, " +
            "same Azurite, before and after the gateway; fresh tables and queues per figure " +
            $"(warm-up: {Warmup} debits each side, gateway {warmGateway.DebitsPerSecond:0} debits/s, " +
            $"{warmGateway.AnswersPerSecond:0} answers/s):", "", "");
        Console.WriteLine($"  {"",-24} {"submission",-33}  {"bank results"}");
        Console.WriteLine($"  {"",-24} {"debits/s",9} {"wall s",7} {"CPU ms/debit",-15}  " +
            $"{"answers/s",9} {"wall s",7} {"CPU ms/answer"}");
        Console.WriteLine($"  {"",-24} {"",9} {"",7} {"Azurite",7} {"caller",7}  " +
            $"{"",9} {"",7} {"Azurite",7} {"caller",7}");
        var sides = new List<Side>();
        void Add(Side s)
        {
            sides.Add(s);
            Console.WriteLine($"  {s.Name,-24} {s.DebitsPerSecond,9:0} {s.Submit.Seconds,7:0.0} " +
                $"{Ms(s.Submit.Azurite, s.Debits),7:0.00} {Ms(s.Submit.Caller, s.Debits),7:0.00}  " +
                $"{s.AnswersPerSecond,9:0} {s.Drain.Seconds,7:0.0} " +
                $"{Ms(s.Drain.Azurite, s.Debits),7:0.00} {Ms(s.Drain.Caller, s.Debits),7:0.00}");
            var (booking, batches) = s.Calls.PhaseSeconds();
            Console.WriteLine($"      submission's phases: booking {booking:0.0} s " +
                $"({s.Debits / booking:0} debits/s), " +
                $"{s.Batches} batches {batches:0.0} s ({batches / s.Batches * 1000:0} ms each)");
            RoundTrips.PrintWrapped(s.Check, "        ", "      check (storage read back): ", ", ");
        }
        Add(await FloorAsync(azurite, await SeedAsync(azurite, debits), templates!, options, host,
            "storage floor, before"));
        Add((await GatewayAsync(azurite, await SeedAsync(azurite, debits), options, "gateway",
            readTemplates: false)).Side);
        Add(await FloorAsync(azurite, await SeedAsync(azurite, debits), templates!, options, host,
            "storage floor, after"));

        var (before, gateway, after) = (sides[0], sides[1], sides[2]);
        Console.WriteLine($"  {"gateway / floor",-24} {gateway.DebitsPerSecond / before.DebitsPerSecond,8:0.00}x " +
            $"(before) {gateway.DebitsPerSecond / after.DebitsPerSecond,5:0.00}x (after)  " +
            $"{gateway.AnswersPerSecond / before.AnswersPerSecond,8:0.00}x (before) " +
            $"{gateway.AnswersPerSecond / after.AnswersPerSecond,5:0.00}x (after)");

        Console.WriteLine("  Round trips counted in the Azure SDK pipeline (every attempt), the gateway's " +
            "(the floor's before, after):");
        var batches = gateway.Batches;
        void Line(string name, string stage, int divisor) => RoundTrips.PrintWrapped(
            gateway.Calls.Format(stage, divisor), "        ",
            $"    {name} {gateway.Calls.Total(stage, divisor):0.00} ({before.Calls.Total(stage, divisor):0.00}, " +
            $"{after.Calls.Total(stage, divisor):0.00}) = ", ", ");
        Line("per booked debit", Booking, gateway.Debits);
        Line($"per submitted batch of {options.BatchSize}", Batches, batches);
        Line("per submission run (its queries)", PerRun, 1);
        var submitted = gateway.Calls.Total([PerRun, Booking, Batches], gateway.Debits);
        Console.WriteLine($"    per debit booked and submitted, all in: {submitted:0.00} " +
            $"({before.Calls.Total([PerRun, Booking, Batches], before.Debits):0.00}, " +
            $"{after.Calls.Total([PerRun, Booking, Batches], after.Debits):0.00})");
        Line("second run, queuing the answers, per batch", Fetch, batches);
        Line($"per bank results message ({options.BatchSize} answers)", Drain, batches);
        Console.WriteLine($"    per answer applied: {gateway.Calls.Total(Drain, gateway.Debits):0.00} " +
            $"({before.Calls.Total(Drain, before.Debits):0.00}, {after.Calls.Total(Drain, after.Debits):0.00})");

        RoundTrips.PrintWrapped("(floor per debit: the payment's mandate GET, one 5-row batch (the payment REPLACE " +
            "with If-Match, the transaction (" + Bytes(templates!.Pending) + "), its occurrence marker and " +
            "submission note inserted, the reference pointer upserted); per batch: the transactions' GETs together, " +
            "the id counter's share, one batch of the batch row, the transactions' REPLACEs with If-Match " +
            $"({Bytes(templates.Submitted)} each), the notes' DELETEs and the event " +
            $"({Bytes(templates.SubmissionEvent)}), the event's queue send, the accounts' GETs together (the " +
            "gateway reads them one after another), the bank's row inserted and the batch row merged; per run the " +
            "register, organisation, pending mandates, due payments, waiting notes, unsent batches and due answers " +
            "queries. Per results message: the organisation GET, the transactions' GETs together, the id counter's " +
            $"share, one batch of their REPLACEs with If-Match (paid {Bytes(templates.Paid)}, unpaid " +
            $"{Bytes(templates.Unpaid)}) and the event ({Bytes(templates.ResultsEvent)}), the event's queue send, " +
            "the message's receive share and DELETE. " +
            "Row sizes are their properties as JSON. Caller CPU is this process's: the gateway or the floor loop; " +
            $"{Environment.ProcessorCount} cores shared by Azurite and this process)", "   ", "  ");
    }

    private static double Ms(TimeSpan cpu, int count) => cpu.TotalMilliseconds / count;

    private static string Bytes(TableEntity row) => $"{PaymentRoundTrips.Size(row)} bytes";

    /// <summary>
    /// The gateway's side: one submission run timed, the second run that queues the answers, then the drain of the
    /// answers through the host's invoker, timed; with <paramref name="readTemplates"/>, the rows it wrote, read back.
    /// </summary>
    private static async Task<(Side Side, Templates? Templates)> GatewayAsync(Azurite azurite, Set set,
        CollectionsOptions options, string name, bool readTemplates)
    {
        var calls = new Calls(azurite, set);
        await using var app = new CollectionsApp(azurite, set, calls);
        var services = app.Services; // Started (tables and queues checked, options validated) before the clock.
        var tables = services.GetRequiredService<GatewayTables>();
        var queues = services.GetRequiredService<QueueServiceClient>();
        var host = services.GetRequiredService<IOptions<QueueHostOptions>>().Value;

        calls.Start(Submission);
        var (run, submit) = await TimedAsync(azurite, () => RunSubmissionAsync(services));
        var submitted = readTemplates ? await SubmittedTemplatesAsync(services, set) : default;

        await ClockAsync(app, set, AnswerClock);
        calls.Start(Fetch);
        var (fetched, _) = await TimedAsync(azurite, () => RunSubmissionAsync(services));

        // As the local listener runs it: the function found in the registry, run by the invoker in a scope of its own.
        var function = services.GetRequiredService<FunctionRegistry>().FindQueue(nameof(CollectionsBankResults))
            ?? throw new InvalidOperationException("CollectionsBankResults is not a queue function of the host.");
        var invoker = services.GetRequiredService<FunctionInvoker>();
        calls.Start(Drain);
        var (failed, drain) = await TimedAsync(azurite, () => DrainAsync(queues.GetQueueClient(set.ResultsQueue), host,
            (message, text) => invoker.RunQueueAsync(function, message, text, CancellationToken.None)));

        var check = await CheckAsync(tables, queues, set, options) +
            $"; runs reported {run.Booked} booked, {run.Submitted} submitted, {fetched.Answered} answers queued" +
            (run.Failures + fetched.Failures + failed > 0
                ? $"; FAILURES: runs {run.Failures + fetched.Failures}, messages {failed}"
                : "");
        Templates? templates = null;
        if (readTemplates)
        {
            var (paid, unpaid, resultsEvent) = await AnsweredTemplatesAsync(tables, set, submitted.Event);
            templates = new Templates(submitted.Pending, submitted.Transaction, paid, unpaid, submitted.Event,
                resultsEvent);
        }
        return (new Side(name, set.Debtors.Count, set.Batches(options.BatchSize), submit, drain, calls, check),
            templates);
    }

    /// <summary>Runs the submission timer once, as the host would (its class made in a scope of its own).</summary>
    private static async Task<CollectionsRunResult> RunSubmissionAsync(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        return await ActivatorUtilities.CreateInstance<CollectionsSubmission>(scope.ServiceProvider)
            .RunOnceAsync(CancellationToken.None);
    }

    /// <summary>Runs <paramref name="work"/> as measured work (its storage calls counted), timed.</summary>
    private static async Task<(T Result, Timing Timing)> TimedAsync<T>(Azurite azurite, Func<Task<T>> work)
    {
        using var self = Process.GetCurrentProcess();
        var (azuriteBefore, callerBefore) = Cpu(azurite, self);
        var clock = Stopwatch.StartNew();
        var result = await Task.Run(async () =>
        {
            InRun.Value = true;
            return await work();
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var (azuriteAfter, callerAfter) = Cpu(azurite, self);
        return (result, new Timing(seconds, azuriteAfter - azuriteBefore, callerAfter - callerBefore));
    }

    private static (TimeSpan Azurite, TimeSpan Caller) Cpu(Azurite azurite, Process self)
    {
        self.Refresh();
        return (azurite.CpuTime(), self.TotalProcessorTime);
    }

    /// <summary>
    /// The local queue listener's loop (LocalQueueListener) over a queue nothing else writes to meanwhile: receive a
    /// batch, run each message at once, the next batch once no more than the threshold run, delete each message after
    /// its run; done when a receive finds the queue empty and the runs are over. Returns the messages that failed.
    /// </summary>
    private static async Task<int> DrainAsync(QueueClient queue, QueueHostOptions host,
        Func<QueueMessage, string, Task> handle)
    {
        var threshold = host.NewBatchThreshold ?? host.BatchSize / 2;
        var running = new List<Task>();
        var failed = 0;
        async Task ProcessAsync(QueueMessage message)
        {
            try
            {
                await handle(message, message.Body.ToString());
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
            catch (Exception error) when (error is RequestFailedException or HttpRequestException
                                               or InvalidOperationException or TimeoutException
                                          || StorageFaults.IsUnavailable(error))
            {
                Interlocked.Increment(ref failed);
            }
        }
        while (true)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > threshold)
            {
                await Task.WhenAny(running);
                continue;
            }
            QueueMessage[] messages = await queue.ReceiveMessagesAsync(host.BatchSize, host.ProcessingVisibility);
            if (messages.Length == 0)
            {
                await Task.WhenAll(running);
                return failed;
            }
            running.AddRange(messages.Select(ProcessAsync));
        }
    }

    /// <summary>
    /// The storage floor: what the two runs and the drain must do, with the storage clients directly, in
    /// RunOnceAsync's order: the bookings at its parallelism, the batches one after another, each message of the
    /// answers as the listener runs them.
    /// </summary>
    private static async Task<Side> FloorAsync(Azurite azurite, Set set, Templates templates,
        CollectionsOptions options, QueueHostOptions host, string name)
    {
        var calls = new Calls(azurite, set);
        var floor = new Floor(azurite, set, templates, options, calls);
        await floor.Events.CreateIfNotExistsAsync();
        await floor.Results.CreateIfNotExistsAsync();

        calls.Start(Submission);
        var (_, submit) = await TimedAsync(azurite, floor.SubmitAsync);
        calls.Start(Fetch);
        await TimedAsync(azurite, floor.FetchAsync);
        calls.Start(Drain);
        var (failed, drain) = await TimedAsync(azurite, () => DrainAsync(floor.Results, host, floor.ApplyAsync));
        var check = await CheckAsync(floor.Tables, floor.Queues, set, options) +
            (floor.Failures + failed > 0 ? $"; FAILURES: {floor.Failures} refused, messages {failed}" : "");
        return new Side(name, set.Debtors.Count, set.Batches(options.BatchSize), submit, drain, calls, check);
    }

    private sealed class Floor(Azurite azurite, Set set, Templates templates, CollectionsOptions options, Calls calls)
    {
        private static readonly DebitOrderCalendar Calendar = new(Options.Create(new CollectionsOptions()));

        private readonly IdAllocator _ids = new(
            RoundTrips.GatewayTables(new TableServiceClient(azurite.ConnectionString, Counted(new TableClientOptions(),
                calls)), set.Prefix), Options.Create(new IdOptions()));

        // The transactions this floor booked: their debtor, for the accounts' reads and the bank's answers.
        private readonly ConcurrentDictionary<string, Debtor> _booked = new();
        private int _failures;

        public GatewayTables Tables { get; } = RoundTrips.GatewayTables(new TableServiceClient(azurite.ConnectionString,
            Counted(new TableClientOptions(), calls)), set.Prefix);

        public QueueServiceClient Queues { get; } = new(azurite.ConnectionString,
            Counted(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, calls));

        public QueueClient Events => Queues.GetQueueClient(set.EventQueue);
        public QueueClient Results => Queues.GetQueueClient(set.ResultsQueue);
        public int Failures => _failures;

        private long OrganisationId => set.OrganisationId;
        private string Partition => set.Partition;

        /// <summary>The first run: its reads, the bookings, the batches, then its last two queries.</summary>
        public async Task<int> SubmitAsync()
        {
            var today = ActionDate;
            var due = await StartRunAsync(today);
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism },
                async (row, ct) => await BookAsync(row, ct));

            var waiting = new List<(string Id, string ChargedOn, string Method)>();
            await foreach (var e in Tables.Payments.QueryAsync<TableEntity>(TableFilters.RowPrefix(Partition, "csub-"),
                select: ["RowKey", "ChargedOn", "PaymentMethod"]))
            {
                waiting.Add((e.RowKey["csub-".Length..], e.GetString("ChargedOn")!, e.GetString("PaymentMethod")!));
            }
            foreach (var group in waiting.GroupBy(w => (w.ChargedOn, w.Method)))
            {
                foreach (var chunk in group.Chunk(options.BatchSize))
                {
                    await SubmitBatchAsync(group.Key.ChargedOn, group.Key.Method, [.. chunk.Select(w => w.Id)]);
                }
            }
            await EndRunAsync(today);
            return 0;
        }

        /// <summary>The second run, a business day later: nothing is due or waiting; the answers are queued.</summary>
        public async Task<int> FetchAsync()
        {
            var today = Calendar.NextBusinessDay(ActionDate);
            _ = await StartRunAsync(today);
            await foreach (var _ in Tables.Payments.QueryAsync<TableEntity>(TableFilters.RowPrefix(Partition, "csub-"),
                select: ["RowKey", "ChargedOn", "PaymentMethod"]))
            {
                throw new InvalidOperationException("A transaction is still waiting for submission.");
            }
            await EndRunAsync(today);
            return 0;
        }

        /// <summary>RunOnceAsync's reads before booking: register, organisation, pending mandates, the due.</summary>
        private async Task<List<TableEntity>> StartRunAsync(DateOnly today)
        {
            var register = TableClient.CreateQueryFilter($"PartitionKey ge {"coll-"} and PartitionKey lt {"coll."}");
            await foreach (var _ in Tables.Lookups.QueryAsync<TableEntity>(register, select: ["OrganisationId"]))
            {
            }
            _ = await Tables.Identity.FindAsync(IdentityKeys.Partition(OrganisationId), Organisation.RowKey)
                ?? throw new InvalidOperationException("No organisation row.");
            var pending = TableFilters.And(TableFilters.RowPrefix(Partition, CollectionsIds.Mandate),
                TableClient.CreateQueryFilter($"State eq {CollectionStates.Pending}"));
            await foreach (var _ in Tables.Payments.QueryAsync<TableEntity>(pending))
            {
            }
            var filter = TableFilters.And(TableFilters.RowPrefix(Partition, CollectionsIds.Payment),
                TableClient.CreateQueryFilter(
                    $"State eq {CollectionStates.Active} and NextDate le {CollectionsStore.Day(today)}"));
            var due = new List<TableEntity>();
            await foreach (var e in Tables.Payments.QueryAsync<TableEntity>(filter)) due.Add(e);
            return due;
        }

        /// <summary>RunOnceAsync's last steps: unsent batches (none), due answers queued and acknowledged.</summary>
        private async Task EndRunAsync(DateOnly today)
        {
            var unsent = TableFilters.And(TableFilters.RowPrefix(Partition, "cbat-"),
                TableClient.CreateQueryFilter($"Sent eq {false}"));
            await foreach (var _ in Tables.Payments.QueryAsync<TableEntity>(unsent))
            {
                throw new InvalidOperationException("A batch was left unsent.");
            }
            var answers = TableClient.CreateQueryFilter(
                $"PartitionKey eq {BankPartition} and AnswerOn le {CollectionsStore.Day(today)}");
            await foreach (var e in Tables.CollectionsBank.QueryAsync<TableEntity>(answers))
            {
                var results = new BankResults(OrganisationId, e.RowKey, e.GetString("PaymentMethod")!,
                    JsonSerializer.Deserialize<List<BankAnswer>>(e.GetString("Answers")!)!);
                await Results.SendMessageAsync(JsonSerializer.Serialize(results, ApiJson.Options));
                await Tables.CollectionsBank.TryDeleteAsync(BankPartition, e.RowKey, ETag.All, CancellationToken.None);
            }
        }

        // SimulatedCollectionsBank's partition of the organisation's batches.
        private string BankPartition => $"org-{OrganisationId:D10}";

        /// <summary>One due payment: its mandate read, then its advance, transaction and notes in one batch.</summary>
        private async Task BookAsync(TableEntity payment, CancellationToken ct)
        {
            var debtor = set.Debtors[payment.RowKey];
            _ = await Tables.Payments.FindAsync(Partition, debtor.MandateId, cancellationToken: ct)
                ?? throw new InvalidOperationException("No mandate row.");
            var id = CollectionsIds.New(CollectionsIds.Transaction, DateTimeOffset.UtcNow);
            var advanced = PaymentRoundTrips.Copy(payment, Partition, payment.RowKey);
            advanced["NextDate"] = CollectionsStore.Day(ActionDate.AddMonths(1));
            var transaction = PaymentRoundTrips.Copy(templates.Pending, Partition, id);
            var committed = await Tables.Payments.TrySubmitAsync(
            [
                TableActions.Replace(advanced, payment.ETag),
                TableActions.Insert(transaction),
                CollectionsStore.BookOccurrence(OrganisationId, debtor.PaymentId, 0, id),
                TableActions.Insert(new TableEntity(Partition, "csub-" + id)
                {
                    ["ChargedOn"] = CollectionsStore.Day(ActionDate),
                    ["PaymentMethod"] = CollectionsCatalogue.EftDebitOrder,
                }),
                CollectionsStore.PointReference(OrganisationId, debtor.Reference, debtor.PaymentId, id),
            ], ct);
            if (committed is null)
            {
                Interlocked.Increment(ref _failures);
                return;
            }
            _booked[id] = debtor;
        }

        /// <summary>A batch: its transactions read, committed with batch and event, sent to the bank, marked.</summary>
        private async Task SubmitBatchAsync(string chargedOn, string method, string[] ids)
        {
            var read = await Task.WhenAll(ids.Select(id => Tables.Payments.FindAsync(Partition, id)));
            var eventId = await _ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
            var batch = new SubmissionBatch(RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) +
                RandomNumberGenerator.GetString("0123456789", 8), chargedOn, method, ids);
            var batchRow = CollectionsStore.NewBatch(OrganisationId, batch);
            var committed = await Tables.Payments.TrySubmitAsync(
            [
                batchRow,
                .. ids.Zip(read).Select(t => TableActions.Replace(
                    PaymentRoundTrips.Copy(templates.Submitted, Partition, t.First), t.Second!.ETag)),
                .. ids.Select(id => CollectionsStore.ClearSubmission(OrganisationId, id)),
                TableActions.Insert(PaymentRoundTrips.Copy(templates.SubmissionEvent, Partition,
                    PaymentRows.EventRow(eventId, 1))),
            ], CancellationToken.None);
            if (committed is null)
            {
                Interlocked.Increment(ref _failures);
                return;
            }
            await Events.SendMessageAsync(EventMessage(eventId));
            // The accounts the bank is sent, read together.
            var accounts = await Task.WhenAll(ids.Select(id =>
                Tables.Payments.FindAsync(Partition, _booked[id].AccountId)));
            if (accounts.Any(a => a is null)) throw new InvalidOperationException("No account row.");
            var answers = ids.Select(id => _booked[id].Unpaid
                ? new BankAnswer(id, BankOutcomes.Unpaid, "INSUFFICIENT FUNDS", "02", null)
                : new BankAnswer(id, BankOutcomes.Paid, null, "00", null)).ToList();
            await Tables.CollectionsBank.TryAddAsync(new TableEntity(BankPartition, batch.Reference)
            {
                ["AnswerOn"] = CollectionsStore.Day(Calendar.NextBusinessDay(ActionDate)),
                ["PaymentMethod"] = method,
                ["Answers"] = JsonSerializer.Serialize(answers),
            }, CancellationToken.None);
            await Tables.Payments.TryMergeAsync(new TableEntity(Partition, batchRow.Entity.RowKey) { ["Sent"] = true },
                ETag.All, CancellationToken.None);
        }

        /// <summary>One results message, as CollectionsBankResults.Run applies it.</summary>
        public async Task ApplyAsync(QueueMessage message, string body)
        {
            var results = JsonSerializer.Deserialize<BankResults>(body, ApiJson.Options)
                ?? throw new InvalidOperationException("Not a bank results message.");
            _ = await Tables.Identity.FindAsync(IdentityKeys.Partition(OrganisationId), Organisation.RowKey)
                ?? throw new InvalidOperationException("No organisation row.");
            foreach (var chunk in results.Answers.Chunk(options.BatchSize))
            {
                var read = await Task.WhenAll(chunk.Select(a => Tables.Payments.FindAsync(Partition, a.TransactionId)));
                var eventId = await _ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
                _ = await Tables.Payments.TrySubmitAsync(
                [
                    .. chunk.Zip(read).Select(a => TableActions.Replace(PaymentRoundTrips.Copy(
                        a.First.Outcome == BankOutcomes.Paid ? templates.Paid : templates.Unpaid, Partition,
                        a.First.TransactionId), a.Second!.ETag)),
                    TableActions.Insert(PaymentRoundTrips.Copy(templates.ResultsEvent, Partition,
                        PaymentRows.EventRow(eventId, 1))),
                ], CancellationToken.None) ?? throw new InvalidOperationException("The answers' batch was refused.");
                await Events.SendMessageAsync(EventMessage(eventId));
            }
        }

        private string EventMessage(long eventId) => new PaymentEvent(Guid.CreateVersion7().ToString(), OrganisationId,
            eventId, 1, CollectionsEvents.Kind, "transactions", new JsonObject()).QueueMessage();
    }

    /// <summary>
    /// Transactions by status, batches sent, notes left, the events on the event queue and the messages left on the
    /// results queue, read back from storage.
    /// </summary>
    private static async Task<string> CheckAsync(GatewayTables tables, QueueServiceClient queues, Set set,
        CollectionsOptions options)
    {
        var states = new Dictionary<string, int>();
        var (sent, notes) = (0, 0);
        IAsyncEnumerable<TableEntity> Rows(string prefix, string[] select) =>
            tables.Payments.QueryAsync<TableEntity>(TableFilters.RowPrefix(set.Partition, prefix), select: select);
        await foreach (var e in Rows(CollectionsIds.Transaction, ["State"]))
        {
            var state = e.GetString("State") ?? "";
            states[state] = states.GetValueOrDefault(state) + 1;
        }
        await foreach (var e in Rows("cbat-", ["Sent"])) sent += e.GetBoolean("Sent") == true ? 1 : 0;
        await foreach (var _ in Rows("csub-", ["RowKey"])) notes++;
        var events = (await queues.GetQueueClient(set.EventQueue).GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var left = (await queues.GetQueueClient(set.ResultsQueue).GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var (paid, unpaid) = (states.GetValueOrDefault(CollectionsCatalogue.Paid),
            states.GetValueOrDefault(CollectionsCatalogue.Unpaid));
        var batches = set.Batches(options.BatchSize);
        var ok = paid + unpaid == set.Debtors.Count && unpaid == set.Debtors.Values.Count(d => d.Unpaid)
            && states.Values.Sum() == set.Debtors.Count && sent == batches && notes == 0 && events == 2 * batches
            && left == 0;
        return $"{(ok ? "OK" : "MISMATCH")}: {states.Values.Sum()} transactions ({paid} paid, {unpaid} unpaid), " +
            $"{sent} batches sent, {notes} notes left, {events} events queued, {left} answers left on the queue";
    }

    /// <summary>After the gateway's first run: a submitted transaction and the submission's event as written.</summary>
    private static async Task<(TableEntity Pending, TableEntity Transaction, TableEntity Event)>
        SubmittedTemplatesAsync(IServiceProvider services, Set set)
    {
        var tables = services.GetRequiredService<GatewayTables>();
        var transaction = await FirstAsync(tables, TableFilters.RowPrefix(set.Partition, CollectionsIds.Transaction));
        var record = (await services.GetRequiredService<CollectionsStore>()
            .GetAsync<DebitTransaction>(set.OrganisationId, transaction.RowKey, CancellationToken.None))!.Value;
        // As booked, before its submission: what the booking inserted (the runner's own record, undone).
        var pending = CollectionsStore.Row(set.OrganisationId, record with
        {
            Updated = null, StatusChangedAt = record.Created, Status = CollectionsCatalogue.Pending,
            PaymentReference = null, BatchReference = null, SubmissionData = [],
        });
        var submissionEvent = await FirstAsync(tables, TableFilters.RowPrefix(set.Partition, PaymentRows.EventPrefix));
        return (pending, transaction, submissionEvent);
    }

    /// <summary>After the answers: a paid and an unpaid transaction and an answers' event, as written.</summary>
    private static async Task<(TableEntity Paid, TableEntity Unpaid, TableEntity Event)> AnsweredTemplatesAsync(
        GatewayTables tables, Set set, TableEntity submissionEvent)
    {
        string Status(string status) => TableFilters.And(
            TableFilters.RowPrefix(set.Partition, CollectionsIds.Transaction),
            TableClient.CreateQueryFilter($"State eq {status}"));
        var paid = await FirstAsync(tables, Status(CollectionsCatalogue.Paid));
        var unpaid = await FirstAsync(tables, Status(CollectionsCatalogue.Unpaid));
        // The answers' events come after the submissions' in the payments' id sequence: the last is one of them.
        var last = "";
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(
            TableFilters.RowPrefix(set.Partition, PaymentRows.EventPrefix), select: ["RowKey"]))
        {
            last = e.RowKey;
        }
        if (last == submissionEvent.RowKey) throw new InvalidOperationException("The answers made no event.");
        var resultsEvent = await tables.Payments.FindAsync(set.Partition, last)
            ?? throw new InvalidOperationException("The answers' event is gone.");
        return (paid, unpaid, resultsEvent);
    }

    private static async Task<TableEntity> FirstAsync(GatewayTables tables, string filter)
    {
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, maxPerPage: 1)) return e;
        throw new InvalidOperationException($"The warm-up wrote no row of {filter}.");
    }

    /// <summary>Moves the organisation's test clock through the API, as its administrator.</summary>
    private static async Task ClockAsync(CollectionsApp app, Set set, string now)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = RoundTrips.Basic(set.Admin, set.Password);
        await RoundTrips.Expect(client.PutAsync($"/api/v1/organisation/{set.OrganisationId}/test-clock",
            new FormUrlEncodedContent([KeyValuePair.Create("now", now)])), 200);
    }

    /// <summary>
    /// Fresh tables and queues: a test-mode organisation (through the API) with its clock at <see cref="DueClock"/>,
    /// registered for runs, and <paramref name="debits"/> debtors with a monthly payment each whose first occurrence is
    /// due, written as rows with the gateway's own row builders in 100-row batches: through the API the seeding of
    /// each figure would take minutes.
    /// </summary>
    private static async Task<Set> SeedAsync(Azurite azurite, int debits)
    {
        var n = Interlocked.Increment(ref _nextSet);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var set = new Set($"bcol{n}x{tag}", $"bench-coll-{n}-{tag}", $"bench-collres-{n}-{tag}", 0, "", "",
            new Dictionary<string, Debtor>());
        await using var app = new CollectionsApp(azurite, set, calls: null);
        var services = app.Services;
        var (operatorName, password) = ("bench-operator-" + Guid.NewGuid().ToString("N")[..8], "bench-password-1");
        await services.GetRequiredService<UserService>().CreateOperatorAsync(operatorName, password,
            CancellationToken.None);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = RoundTrips.Basic(operatorName, password);
        var admin = "bench-admin-" + Guid.NewGuid().ToString("N")[..8];
        var body = await RoundTrips.Expect(client.PostAsync("/api/v1/organisation", new FormUrlEncodedContent(
        [
            KeyValuePair.Create("Organisation[name]", "Bench collections"),
            KeyValuePair.Create("Organisation[mode]", "test"), KeyValuePair.Create("Organisation[timezone]", TimeZone),
            KeyValuePair.Create("User[username]", admin), KeyValuePair.Create("User[password]", password),
        ])), 201);
        var organisationId = JsonDocument.Parse(body).RootElement.GetProperty("Organisation").GetProperty("id")
            .GetInt64();
        set = set with { OrganisationId = organisationId, Admin = admin, Password = password };
        await ClockAsync(app, set, DueClock);

        var organisation = (await services.GetRequiredService<IdentityStore>()
            .GetOrganisationAsync(organisationId, CancellationToken.None))!;
        var cipher = services.GetRequiredService<CardCipher>();
        var created = organisation.Now(TimeProvider.System);
        var debtors = new Dictionary<string, Debtor>();
        var rows = new List<TableTransactionAction>();
        for (var i = 0; i < debits; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var unpaid = i % UnpaidEvery == UnpaidEvery - 1;
            var number = unpaid ? UnpaidAccount : PaidAccount;
            var customer = new Customer(CollectionsIds.New(CollectionsIds.Customer, now), created, null, "Debtor",
                $"Number {i}", $"debtor{i}@example.com", "0821234567");
            var accountId = CollectionsIds.New(CollectionsIds.BankAccount, now);
            // CollectionsService's seal context (its SealContext): the runner opens the number with it.
            var (keyId, sealedNumber) = cipher.Seal(number, $"collections-account|{organisationId}|{accountId}");
            var account = new BankAccount(accountId, created, null, customer.Id, "fnb", "250655", "cheque",
                $"Debtor {i}", new string('*', number.Length - 4) + number[^4..], keyId, sealedNumber,
                CollectionStates.Active);
            var mandate = new Mandate(CollectionsIds.New(CollectionsIds.Mandate, now), created, null, customer.Id,
                accountId, CollectionsCatalogue.EftDebitOrder, CollectionStates.Active,
                CollectionsService.Reference(organisation.Name), null);
            var reference = $"BENCH-{n}-{i:D6}";
            var payment = new CollectionPayment(CollectionsIds.New(CollectionsIds.Payment, now), created, null,
                mandate.Id, customer.Id, accountId, CollectionsCatalogue.EftDebitOrder, 10_000 + i,
                CollectionFrequencies.Monthly, ActionDate, reference, "Monthly subscription", CollectionStates.Active,
                0);
            rows.AddRange(
            [
                TableActions.Insert(CollectionsStore.Row(organisationId, customer.Id, customer,
                    CollectionStates.Active)),
                TableActions.Insert(CollectionsStore.Row(organisationId, accountId, account,
                    CollectionStates.Active)),
                TableActions.Insert(CollectionsStore.Row(organisationId, mandate)),
                TableActions.Insert(CollectionsStore.Row(organisationId, payment)),
                CollectionsStore.ClaimReference(organisationId, reference, payment.Id),
            ]);
            debtors[payment.Id] = new Debtor(payment.Id, mandate.Id, accountId, reference, unpaid);
        }
        var tables = services.GetRequiredService<GatewayTables>();
        await Parallel.ForEachAsync(rows.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (chunk, ct) =>
            {
                _ = await tables.Payments.TrySubmitAsync(chunk, ct)
                    ?? throw new InvalidOperationException("A batch of seeded rows was refused.");
            });
        var store = services.GetRequiredService<CollectionsStore>();
        await store.RegisterAsync(organisationId, CancellationToken.None);

        // The seal as the runner will open it: a wrong context would fail every batch's submission instead.
        var first = debtors.Values.First();
        var stored = (await store.GetAsync<BankAccount>(organisationId, first.AccountId, CancellationToken.None))!;
        if (services.GetRequiredService<CollectionsService>().AccountNumber(organisationId, stored.Value) is not
            (PaidAccount or UnpaidAccount))
        {
            throw new InvalidOperationException("A seeded account number does not open as the runner opens it.");
        }
        return set with { Debtors = debtors };
    }

    /// <summary>Storage client options as the gateway's (its retry policy at the bench's deadlines), counted.</summary>
    private static T Counted<T>(T options, Calls calls) where T : ClientOptions
    {
        options.RetryPolicy = new StorageRetryPolicy(RoundTrips.Retry);
        options.AddPolicy(new CallsPolicy(calls), HttpPipelinePosition.PerRetry);
        return options;
    }

    /// <summary>Counts every attempt of the calls made as measured work (<see cref="InRun"/>), no others.</summary>
    private sealed class CallsPolicy(Calls calls) : HttpPipelinePolicy
    {
        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (InRun.Value) calls.Add(message.Request);
            return ProcessNextAsync(message, pipeline);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (InRun.Value) calls.Add(message.Request);
            ProcessNext(message, pipeline);
        }
    }

    /// <summary>
    /// Round trips by stage and by table (or queue) and operation, a point read of the Payments table also by the
    /// row's kind (its id's prefix: man_, tra_, ban_). In the submission run the stage follows RunOnceAsync's
    /// queries, which it makes in this order with one organisation: the due payments' query starts the bookings, the
    /// waiting notes' the batches, the unsent batches' the run's end; the queries themselves are the run's.
    /// </summary>
    private sealed partial class Calls(Azurite azurite, Set set)
    {
        private readonly ConcurrentDictionary<(string Stage, string Label), int> _counts = new();
        private volatile string _stage = Submission;
        private volatile string _phase = PerRun;

        private readonly ConcurrentDictionary<string, long> _started = new();

        public void Start(string stage) => (_stage, _phase) = (stage, PerRun);

        /// <summary>Seconds from the run's bookings to its batches, and from its batches to its end.</summary>
        public (double Booking, double Batches) PhaseSeconds()
        {
            double Between(string from, string to) => _started.TryGetValue(from, out var start)
                && _started.TryGetValue(to, out var end)
                    ? Stopwatch.GetElapsedTime(start, end).TotalSeconds
                    : double.NaN;
            return (Between(Booking, Batches), Between(Batches, "end"));
        }

        public void Add(Request request)
        {
            var (label, filter) = Label(request);
            var stage = _stage;
            if (stage == Submission)
            {
                stage = filter is null ? _phase : PerRun;
                if (filter is not null && Phase(filter) is { } phase)
                {
                    _phase = phase;
                    // The first query of a phase starts it (a query's later pages come in the same phase).
                    _started.TryAdd(phase == PerRun ? "end" : phase, Stopwatch.GetTimestamp());
                }
            }
            _counts.AddOrUpdate((stage, label), 1, (_, count) => count + 1);
        }

        /// <summary>The phase a query of the submission run starts, if any.</summary>
        private static string? Phase(string filter) =>
            filter.Contains($"ge '{CollectionsIds.Payment}'", StringComparison.Ordinal) ? Booking
            : filter.Contains("ge 'csub-'", StringComparison.Ordinal) ? Batches
            : filter.Contains("ge 'cbat-'", StringComparison.Ordinal) ? PerRun
            : null;

        public double Total(string stage, int divisor) => Total([stage], divisor);

        public double Total(string[] stages, int divisor) =>
            _counts.Where(c => stages.Contains(c.Key.Stage)).Sum(c => c.Value) / (double)divisor;

        public string Format(string stage, int divisor) => string.Join(", ", _counts
            .Where(c => c.Key.Stage == stage)
            .OrderBy(c => c.Key.Label, StringComparer.Ordinal)
            .Select(c =>
                $"{c.Key.Label} {(c.Value / (double)divisor).ToString("0.##", CultureInfo.InvariantCulture)}"));

        /// <summary>What a request is ("Payments read tra_", "event queue send"), and a query's filter.</summary>
        private (string Label, string? Filter) Label(Request request)
        {
            // Path-style (Azurite): /{account}/{table}[(keys)] or /{account}/{queue}/messages[/{id}], /$batch.
            var segments = request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var resource = segments.Length > 1 ? Uri.UnescapeDataString(segments[1]) : "";
            var method = request.Method.Method;
            if (request.Uri.Port == azurite.QueuePort)
            {
                var queue = resource == set.EventQueue ? "event queue"
                    : resource == set.ResultsQueue ? "results queue" : "queue " + resource;
                return ($"{queue} {method switch
                {
                    "POST" => "send", "GET" => "receive", "DELETE" => "delete", "PUT" => "update", _ => method,
                }}", null);
            }
            if (resource == "$batch") return ("Payments batch", null); // The only table batched here.
            var keys = resource.IndexOf('(', StringComparison.Ordinal);
            var table = keys < 0 ? resource : resource[..keys];
            if (table.StartsWith(set.Prefix, StringComparison.Ordinal)) table = table[set.Prefix.Length..];
            var key = keys < 0 ? "" : resource[keys..];
            if (method == "GET" && key is ("" or "()"))
            {
                return ($"{table} query", Uri.UnescapeDataString(request.Uri.Query));
            }
            var verb = method switch
            {
                "GET" => "read", "POST" => "insert", "PUT" => "replace", "PATCH" or "MERGE" => "merge",
                "DELETE" => "delete", _ => method,
            };
            var row = RowKey().Match(key);
            var kind = table == "Payments" && row.Success ? " " + row.Groups[1].Value : "";
            return ($"{table} {verb}{kind}", null);
        }

        /// <summary>The row key's kind: an id's prefix (man_) or a row prefix (cbat-).</summary>
        [GeneratedRegex("RowKey='([a-z]{3,4}[_-])")]
        private static partial Regex RowKey();
    }

    /// <summary>
    /// The gateway in memory over a set's tables and queues, without the local timers and queue listener (the runs
    /// and the drain are started by hand and timed; the five-minute timer would start runs of its own and the
    /// listener would apply the answers while the runs are measured), its storage calls counted when given
    /// <paramref name="calls"/>. The bank results function stays registered, so the host's invoker can run it.
    /// </summary>
    private sealed class CollectionsApp(Azurite azurite, Set set, Calls? calls) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting(StorageConnection.SettingName, azurite.ConnectionString);
            foreach (var (key, value) in RoundTrips.RetrySettings(":")) builder.UseSetting(key, value);
            builder.UseSetting("Storage:TablePrefix", set.Prefix);
            builder.UseSetting("Payments:EventQueue", set.EventQueue);
            builder.UseSetting("Collections:BankResultsQueue", set.ResultsQueue);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
            builder.ConfigureTestServices(services =>
            {
                foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)
                             && (d.ImplementationType == typeof(LocalTimerScheduler)
                                 || d.ImplementationType == typeof(LocalQueueListener))).ToList())
                {
                    services.Remove(hosted);
                }
                if (calls is null) return;
                var policy = new CallsPolicy(calls);
                services.AddAzureClients(clients =>
                    clients.ConfigureDefaults(options => options.AddPolicy(policy, HttpPipelinePosition.PerRetry)));
            });
        }
    }
}
