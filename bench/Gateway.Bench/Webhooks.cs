using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Gateway.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Bench;

/// <summary>
/// Webhook delivery in local mode: the real gateway process (its queue poller follows host.json: batches of 16, the
/// next batch once no more than 8 run, empty polls backing off to 2 s) delivering to a loopback receiver in this
/// process. Throughput is the drain of a backlog, against the queue floor: the same storage round trips and the same
/// POST per event from a C# loop with the same batch shape, same Azurite, same run. Latency is event to first attempt
/// at a steady low rate, for events enqueued directly and for events made by pay/direct.
/// </summary>
public static class WebhooksLoad
{
    // Queues of their own, so that nothing the payments part left on the default event queue is in the way.
    private const string GatewayQueue = "bench-webhooks";
    private const string FloorQueue = "bench-webhooks-floor";
    private const string CountQueue = "bench-webhooks-count";

    // host.json's queues section, which the gateway's local poller follows.
    private const int BatchSize = 16;
    private const int NewBatchThreshold = 8;
    private const int Counted = 50;

    private static long _nextTransaction = 900_000_000_000;

    private sealed record Tenant(long OrganisationId, string? ApiKey);

    private sealed record Drain(int Events, double PerSecond, double AzuriteCpu, double CallerCpu);

    private sealed record Latency(string Name, int Events, int Arrived, double P50, double P99, double Max);

    public static async Task MeasureAsync(Azurite azurite, string configuration, int events, int rate, TimeSpan duration)
    {
        await using var receiver = await Receiver.StartAsync();
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite));
        var queues = RoundTrips.Queues(azurite);

        // Setup through the API, in memory, and the gateway's storage round trips per delivery, counted there: a
        // delivery is the local queue listener's work, so its calls are the app's background ones (the local timers,
        // which are not delivery, are off in this app; the listener's polls of other queues are left out below).
        var counter = new RoundTrips.Counter();
        Tenant gatewayTenant, floorTenant, laterFloorTenant;
        string payload;
        Dictionary<string, double> gatewaySteps;
        await using (var app = new RoundTrips.CountingApp(azurite, counter, new Dictionary<string, string>
        {
            ["Payments:EventQueue"] = CountQueue,
            ["Webhooks:AllowLoopback"] = "true",
        }, timers: false))
        {
            gatewayTenant = await CreateTenantAsync(app, receiver.Url, withKey: true);
            floorTenant = await CreateTenantAsync(app, receiver.Url, withKey: false);
            laterFloorTenant = await CreateTenantAsync(app, receiver.Url, withKey: false);
            var counted = await CreateTenantAsync(app, receiver.Url, withKey: false);
            payload = await FirstPayloadAsync(app, tables, gatewayTenant, receiver);

            var batch = await WriteOutboxAsync(tables, counted.OrganisationId, payload, Counted);
            receiver.Reset();
            var before = counter.Background.Snapshot();
            await EnqueueAsync(queues.GetQueueClient(CountQueue), batch);
            await receiver.UntilAsync(Counted, TimeSpan.FromSeconds(60));
            await Task.Delay(500); // The last marks and deletes follow the POST.
            gatewaySteps = Steps(counter.Background, before, azurite, Counted, CountQueue);
        }

        // The floor runs before and after the gateway's drain: Azurite slows as the Payments table grows, so the two
        // bracket the gateway's run.
        var (floorBefore, failedBefore, floorSteps) =
            await FloorRunAsync(azurite, tables, queues, receiver, floorTenant, payload, events, FloorQueue);

        // Throughput: a backlog on the gateway's queue, drained by a gateway process started after it was written.
        var backlog = await WriteOutboxAsync(tables, gatewayTenant.OrganisationId, payload, events);
        await azurite.RestartQueuesAsync();
        var gatewayQueue = queues.GetQueueClient(GatewayQueue);
        await gatewayQueue.CreateIfNotExistsAsync();
        await EnqueueAsync(gatewayQueue, backlog);
        receiver.Reset();

        var command = PaymentsLoad.GatewayCommand(configuration);
        var port = ColdStart.FreePort();
        using var gateway = PaymentsLoad.StartGateway(command,
        [
            .. ColdStart.GatewayEnvironment(azurite, port),
            ("Payments__EventQueue", GatewayQueue),
            ("Webhooks__AllowLoopback", "true"),
        ]);
        Drain gatewayDrain;
        var latencies = new List<Latency>();
        try
        {
            await PaymentsLoad.WaitUntilUpAsync(port, gateway);
            // CPU from the first arrival on, so that the process's start is not counted, per delivery that arrived
            // since: the poller starts before the process answers its health check, so a small backlog may be mostly
            // delivered by then.
            await receiver.UntilAsync(1, TimeSpan.FromSeconds(60));
            var metered = Cpu(azurite, gateway);
            var unmetered = receiver.ByEvent.Count;
            await receiver.UntilAsync(events, TimeSpan.FromSeconds(300));
            gatewayDrain = DrainOf(receiver, events, Cpu(azurite, gateway), metered, unmetered);

            // Latency at a steady low rate: events written and enqueued directly, then events made by pay/direct.
            receiver.Reset();
            latencies.Add(await DirectLatencyAsync(tables, gatewayQueue, gatewayTenant, payload, receiver, rate, duration));
            receiver.Reset();
            latencies.Add(await PayDirectLatencyAsync(port, gatewayTenant, receiver, rate, duration));
        }
        finally
        {
            gateway.Kill(entireProcessTree: true);
            await gateway.WaitForExitAsync();
        }

        var (floorAfter, failedAfter, _) =
            await FloorRunAsync(azurite, tables, queues, receiver, laterFloorTenant, payload, events, FloorQueue + "-2");
        Print(command, events, gatewayDrain, [(floorBefore, failedBefore), (floorAfter, failedAfter)], gatewaySteps, floorSteps, latencies, rate, duration);
    }

    /// <summary>
    /// The floor on a fresh organisation (Azurite filters a partition's rows on every lookup) and a queue of its own.
    /// </summary>
    private static async Task<(Drain Drain, int Failed, Dictionary<string, double> Steps)> FloorRunAsync(Azurite azurite, GatewayTables tables,
        QueueServiceClient queues, Receiver receiver, Tenant floorTenant, string payload, int events, string queueName)
    {
        var floorCounter = new RoundTrips.Counter();
        using var self = Process.GetCurrentProcess();
        var floorTables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite, floorCounter));
        var floorQueue = RoundTrips.Queues(azurite, floorCounter).GetQueueClient(queueName);
        var floorBacklog = await WriteOutboxAsync(tables, floorTenant.OrganisationId, payload, events);
        // Each drain on a fresh queue emulator: after a few thousand deleted messages Azurite's queue collection
        // stalls its process for seconds, and the figure would measure the run before it.
        await azurite.RestartQueuesAsync();
        await queues.GetQueueClient(queueName).CreateIfNotExistsAsync();
        await EnqueueAsync(queues.GetQueueClient(queueName), floorBacklog);
        receiver.Reset();
        var floorBefore = floorCounter.Own.Snapshot();
        var floorMetered = Cpu(azurite, self);
        var failed = await FloorAsync(floorTables, floorQueue, events);
        await receiver.UntilAsync(events, TimeSpan.FromSeconds(60));
        var floorDrain = DrainOf(receiver, events, Cpu(azurite, self), floorMetered);
        receiver.Reset();
        return (floorDrain, failed, Steps(floorCounter.Own, floorBefore, azurite, events, queueName));
    }

    private static void Print(string[] command, int events, Drain gateway, (Drain Drain, int Failed)[] floors, Dictionary<string, double> gatewaySteps,
        Dictionary<string, double> floorSteps, List<Latency> latencies, int rate, TimeSpan duration)
    {
        Console.WriteLine();
        Console.WriteLine($"Webhooks, local mode: gateway process ({(command.Length == 1 ? "published R2R" : "dotnet build")}) delivering from its queue poller");
        Console.WriteLine($"(host.json: batch {BatchSize}, next batch at {NewBatchThreshold} running, empty polls back off to 2 s) to a receiver on 127.0.0.1 in this process;");
        Console.WriteLine("queue floor = the same storage round trips and the same signed POST per event from a C# loop with the same batch shape, same Azurite:");
        Console.WriteLine($"  storage round trips per delivery, gateway (in memory, {Counted} events): {Format(gatewaySteps)}");
        Console.WriteLine($"  storage round trips per delivery, floor ({events} events):           {Format(floorSteps)}");
        Console.WriteLine();
        Console.WriteLine($"  drain of a backlog of {events} events (first to last arrival)   deliveries/s   CPU ms/delivery: Azurite, caller");
        Console.WriteLine($"  {"gateway",-60} {gateway.PerSecond,12:0}   {gateway.AzuriteCpu,6:0.00} {gateway.CallerCpu,6:0.00} (gateway)");
        foreach (var ((floor, failed), when) in floors.Zip(new[] { "before", "after" }))
        {
            Console.WriteLine($"  {$"queue floor, run {when} the gateway's",-60} {floor.PerSecond,12:0}   {floor.AzuriteCpu,6:0.00} {floor.CallerCpu,6:0.00} (floor loop, receiver too)");
            Console.WriteLine($"  {$"gateway / floor {when}",-60} {gateway.PerSecond / floor.PerSecond,11:0.00}x");
            if (failed > 0) Console.WriteLine($"    floor failures: {failed}");
        }
        Console.WriteLine();
        Console.WriteLine($"  event to first attempt at the receiver, {rate}/s for {duration.TotalSeconds:0} s     events  arrived   p50 ms   p99 ms   max ms");
        foreach (var l in latencies)
        {
            Console.WriteLine($"  {l.Name,-60} {l.Events,6} {l.Arrived,8} {l.P50,8:0.0} {l.P99,8:0.0} {l.Max,8:0.0}");
        }
        Console.WriteLine("  (direct: outbox row written, then timed from just before its queue send; pay/direct: timed from the response, after");
        Console.WriteLine($"   which the event is committed and enqueued. The receiver and the floor share this process; {Environment.ProcessorCount} cores shared by all)");
    }

    private static string Format(Dictionary<string, double> steps) =>
        string.Join(", ", steps.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value:0.00}"));

    /// <summary>
    /// Round trips since <paramref name="before"/> per event, by kind, on the tables and the delivery queue
    /// <paramref name="queue"/> (not other queues' polls); queue GETs are receives, empty polls included.
    /// </summary>
    private static Dictionary<string, double> Steps(
        RoundTrips.Tally tally, Dictionary<RoundTrips.Kind, int> before, Azurite azurite, int events, string queue) =>
        tally.Since(before)
            .Where(k => k.Key.Port != azurite.QueuePort || k.Key.Resource == queue)
            .GroupBy(k => RoundTrips.Label(k.Key, azurite))
            .ToDictionary(g => g.Key, g => g.Sum(k => k.Value) / (double)events);

    private static (TimeSpan Azurite, TimeSpan Caller, long At) Cpu(Azurite azurite, Process? caller)
    {
        caller?.Refresh();
        return (azurite.CpuTime(), caller?.TotalProcessorTime ?? TimeSpan.Zero, Stopwatch.GetTimestamp());
    }

    /// <summary>The drain's rate, first to last arrival, and CPU per delivery metered (all but <paramref name="unmetered"/>).</summary>
    private static Drain DrainOf(Receiver receiver, int events, (TimeSpan Azurite, TimeSpan Caller, long At) after,
        (TimeSpan Azurite, TimeSpan Caller, long At) before, int unmetered = 0)
    {
        var arrivals = receiver.ByEvent.Values.Order().ToArray();
        var seconds = Stopwatch.GetElapsedTime(arrivals[0], arrivals[^1]).TotalSeconds;
        var metered = Math.Max(1, events - unmetered);
        return new Drain(events, (arrivals.Length - 1) / seconds, (after.Azurite - before.Azurite).TotalMilliseconds / metered,
            (after.Caller - before.Caller).TotalMilliseconds / metered);
    }

    /// <summary>An organisation whose success webhook goes to the receiver, with an API key when asked for.</summary>
    private static async Task<Tenant> CreateTenantAsync(RoundTrips.CountingApp app, string url, bool withKey)
    {
        var organisation = await RoundTrips.CreateOrganisationAsync(app);
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = RoundTrips.Basic(organisation.Username, organisation.Password);
        await RoundTrips.Expect(admin.PutAsync($"/api/v1/organisation/{organisation.OrganisationId}",
            Form("Organisation[webhook_success_url]=" + Uri.EscapeDataString(url))), 200);
        if (!withKey) return new Tenant(organisation.OrganisationId, null);
        var created = await RoundTrips.Expect(admin.PostAsync($"/api/v1/organisation/{organisation.OrganisationId}/api-key",
            Form("ApiKey[mode]=test&ApiKey[name]=bench")), 201);
        return new Tenant(organisation.OrganisationId, JsonDocument.Parse(created).RootElement.GetProperty("key").GetString()!);
    }

    /// <summary>One real pay/direct (delivered in memory); its outbox payload is the template of the events written directly.</summary>
    private static async Task<string> FirstPayloadAsync(RoundTrips.CountingApp app, GatewayTables tables, Tenant tenant, Receiver receiver)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.ApiKey);
        var body = await RoundTrips.Expect(client.PostAsync("/api/v1/pay/direct", Form(PaymentRoundTrips.PayDirectBody)), 200);
        var transaction = JsonDocument.Parse(body).RootElement.GetProperty("transaction");
        var id = transaction.GetProperty("id").GetInt64();
        var row = await new PaymentStore(tables).GetEventAsync(tenant.OrganisationId, id, 1, CancellationToken.None)
            ?? throw new InvalidOperationException("The pay/direct's outbox event is not stored.");
        await receiver.UntilAsync(1, TimeSpan.FromSeconds(30));
        await Task.Delay(500); // Its mark and delete follow the POST.
        return row.Payload;
    }

    /// <summary>Outbox rows as PaymentStore.EventInsert makes them, in batches of 100, for transactions of their own.</summary>
    private static async Task<List<PaymentEvent>> WriteOutboxAsync(GatewayTables tables, long organisationId, string payload, int count)
    {
        var written = Enumerable.Range(0, count).Select(_ => NewEvent(organisationId, payload)).ToList();
        foreach (var chunk in written.Chunk(100))
        {
            var inserts = chunk.Select(e => PaymentStore.EventInsert(e, DateTimeOffset.UtcNow, notifyUrl: null));
            _ = await tables.Payments.TrySubmitAsync(inserts, CancellationToken.None)
                ?? throw new InvalidOperationException("An outbox batch was refused.");
        }
        return written;
    }

    private static PaymentEvent NewEvent(long organisationId, string payload)
    {
        var transaction = Interlocked.Increment(ref _nextTransaction);
        var fields = JsonNode.Parse(payload)!.AsObject();
        fields["callpay_transaction_id"] = transaction;
        fields["organisation_id"] = organisationId;
        return new PaymentEvent(Guid.CreateVersion7().ToString(), organisationId, transaction, 1, PaymentEvent.KindOf(TransactionStatus.Complete),
            TransactionStatus.Complete, fields);
    }

    private static Task EnqueueAsync(QueueClient queue, IEnumerable<PaymentEvent> events) =>
        Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (e, ct) => await queue.SendMessageAsync(e.QueueMessage(), ct));

    /// <summary>Open loop at <paramref name="rate"/>/s: each event's outbox row, then its queue send, timed from just before the send.</summary>
    private static async Task<Latency> DirectLatencyAsync(GatewayTables tables, QueueClient queue, Tenant tenant, string payload, Receiver receiver, int rate,
        TimeSpan duration)
    {
        var sent = new ConcurrentDictionary<string, long>();
        await OpenLoopAsync(rate, duration, async () =>
        {
            var e = NewEvent(tenant.OrganisationId, payload);
            var insert = PaymentStore.EventInsert(e, DateTimeOffset.UtcNow, notifyUrl: null);
            _ = await tables.Payments.TrySubmitAsync([insert], CancellationToken.None)
                ?? throw new InvalidOperationException("The outbox row was refused.");
            sent[e.EventId] = Stopwatch.GetTimestamp();
            await queue.SendMessageAsync(e.QueueMessage());
        });
        await receiver.UntilAsync(sent.Count, TimeSpan.FromSeconds(30));
        return LatencyOf("events written and enqueued directly", sent, receiver.ByEvent);
    }

    /// <summary>Open loop at <paramref name="rate"/>/s of pay/direct to the gateway process, each timed from its response.</summary>
    private static async Task<Latency> PayDirectLatencyAsync(int port, Tenant tenant, Receiver receiver, int rate, TimeSpan duration)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", tenant.ApiKey);
        var answered = new ConcurrentDictionary<long, long>();
        await OpenLoopAsync(rate, duration, async () =>
        {
            var body = await RoundTrips.Expect(client.PostAsync("/api/v1/pay/direct", Form(PaymentRoundTrips.PayDirectBody)), 200);
            var at = Stopwatch.GetTimestamp();
            answered[JsonDocument.Parse(body).RootElement.GetProperty("transaction").GetProperty("id").GetInt64()] = at;
        });
        await receiver.UntilAsync(answered.Count, TimeSpan.FromSeconds(30));
        return LatencyOf("pay/direct to the gateway process", answered, receiver.ByTransaction);
    }

    private static async Task OpenLoopAsync(int rate, TimeSpan duration, Func<Task> operation)
    {
        var started = Stopwatch.GetTimestamp();
        var running = new List<Task>();
        for (var i = 0; i < rate * duration.TotalSeconds; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero) await Task.Delay(due);
            running.Add(Task.Run(operation));
        }
        await Task.WhenAll(running);
    }

    private static Latency LatencyOf<TKey>(string name, ConcurrentDictionary<TKey, long> events, ConcurrentDictionary<TKey, long> arrivals) where TKey : notnull
    {
        var ms = events.Where(e => arrivals.ContainsKey(e.Key))
            .Select(e => Stopwatch.GetElapsedTime(e.Value, arrivals[e.Key]).TotalMilliseconds * (arrivals[e.Key] >= e.Value ? 1 : -1))
            .Order().ToArray();
        return new Latency(name, events.Count, ms.Length, PaymentsLoad.Percentile(ms, 0.50), PaymentsLoad.Percentile(ms, 0.99), ms.Length == 0 ? double.NaN : ms[^1]);
    }

    /// <summary>
    /// What a delivery minimally must do, with WebhookDelivery's round trips: receive in batches of 16 (the next once no
    /// more than 8 run), then per message the outbox GET, the organisation GET, the signed POST, the attempt log upsert
    /// (WebhookAttempts table), the outbox MERGE with If-Match, and the message delete. Returns how many failed.
    /// </summary>
    private static async Task<int> FloorAsync(GatewayTables tables, QueueClient queue, int events)
    {
        using var poster = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var payments = new PaymentStore(tables);
        var (done, failed) = (0, 0);
        async Task DeliverAsync(QueueMessage queued)
        {
            try
            {
                var message = WebhookMessage.Parse(queued.MessageText)
                    ?? throw new InvalidOperationException("Not a delivery message.");
                var organisationId = message.OrganisationId;
                var row = await payments.GetEventAsync(organisationId, message.TransactionId, message.Sequence, default)
                    ?? throw new InvalidOperationException("No outbox row.");
                var entity = await tables.Identity.FindAsync(IdentityKeys.Partition(organisationId), Organisation.RowKey)
                    ?? throw new InvalidOperationException("No organisation row.");
                var organisation = Organisation.FromEntity(organisationId, entity);
                var url = row.NotifyUrl ?? organisation.Webhooks.UrlFor(row.Kind)
                    ?? throw new InvalidOperationException("No webhook URL.");
                var now = DateTimeOffset.UtcNow;
                var body = WebhookDelivery.FormBody(JsonNode.Parse(row.Payload)!.AsObject(), row.Kind);
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
                request.Content.Headers.ContentType!.CharSet = null;
                request.Headers.Add("X-Gateway-Event-Id", message.EventId);
                request.Headers.Add("X-Gateway-Timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
                request.Headers.Add("X-Gateway-Sequence", message.Sequence.ToString(CultureInfo.InvariantCulture));
                request.Headers.Add("X-Gateway-Signature", WebhookDelivery.Signature(now.ToUnixTimeSeconds(), message.EventId, message.Sequence, body, organisation.Webhooks.SigningSecrets(now)));
                using var response = await poster.SendAsync(request);
                var answer = await response.Content.ReadAsStringAsync();
                var attempt = new WebhookAttempt(message.EventId, message.TransactionId, message.Sequence, message.ChainName, message.Attempt, now, url,
                    (int)response.StatusCode, null, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, answer, response.IsSuccessStatusCode);
                await tables.WebhookAttempts.UpsertEntityAsync(attempt.ToEntity(organisationId), TableUpdateMode.Replace);
                var delivered = WebhookDeliveryStates.Delivered;
                _ = await payments.TryMarkEventAsync(row, delivered, message.Attempt, CancellationToken.None)
                    ?? throw new InvalidOperationException("The outbox mark lost its ETag.");
                await queue.DeleteMessageAsync(queued.MessageId, queued.PopReceipt);
            }
            catch (Exception error) when (error is RequestFailedException or HttpRequestException
                                               or InvalidOperationException || StorageFaults.IsUnavailable(error))
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                Interlocked.Increment(ref done);
            }
        }

        var running = new List<Task>();
        while (Volatile.Read(ref done) < events)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > NewBatchThreshold)
            {
                await Task.WhenAny(running);
                continue;
            }
            QueueMessage[] messages = await queue.ReceiveMessagesAsync(BatchSize, TimeSpan.FromMinutes(10));
            if (messages.Length == 0)
            {
                if (running.Count > 0) await Task.WhenAny(running);
                else await Task.Delay(10);
                continue;
            }
            running.AddRange(messages.Select(DeliverAsync));
        }
        await Task.WhenAll(running);
        return failed;
    }

    private static StringContent Form(string body) => new(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    /// <summary>Kestrel on 127.0.0.1 at a free port: answers 200 and keeps each event's first arrival, by event id and by transaction id.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private Receiver(WebApplication app) => _app = app;

        public ConcurrentDictionary<string, long> ByEvent { get; } = new();
        public ConcurrentDictionary<long, long> ByTransaction { get; } = new();

        public string Url => $"http://127.0.0.1:{new Uri(_app.Urls.First()).Port}/hook";

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(async context =>
            {
                var at = Stopwatch.GetTimestamp();
                var form = await context.Request.ReadFormAsync();
                receiver.ByEvent.TryAdd(context.Request.Headers["X-Gateway-Event-Id"].ToString(), at);
                if (long.TryParse(form["callpay_transaction_id"], CultureInfo.InvariantCulture, out var transaction)) receiver.ByTransaction.TryAdd(transaction, at);
                Interlocked.Increment(ref receiver._requests);
                context.Response.StatusCode = 200;
                await context.Response.WriteAsync("ok");
            });
            await app.StartAsync();
            return receiver;
        }

        public void Reset()
        {
            ByEvent.Clear();
            ByTransaction.Clear();
            Interlocked.Exchange(ref _requests, 0);
        }

        /// <summary>Waits until <paramref name="count"/> distinct events have arrived.</summary>
        public async Task UntilAsync(int count, TimeSpan limit)
        {
            var clock = Stopwatch.StartNew();
            while (ByEvent.Count < count)
            {
                if (clock.Elapsed > limit) throw new TimeoutException($"{ByEvent.Count} of {count} webhooks arrived within {limit.TotalSeconds:0} s ({Volatile.Read(ref _requests)} requests).");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
