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
/// pay/direct and transaction view under load (see <see cref="LoadRun"/>): the gateway process against the storage
/// floor. Also the gateway process helpers the other parts start it with, and the floor's pieces that
/// <see cref="CodesLoad"/> shares (authentication, a new transaction's rows and event).
/// </summary>
public static class PaymentsLoad
{
    // ApiKeyService's lookup row key: the key's fingerprint is the partition.
    private const string ApiKeyLookupRow = "apikey";

    public static int[] Concurrencies(string? setting) =>
        [.. (setting ?? "8,32").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture))];

    public static async Task MeasureAsync(Azurite azurite, PaymentRoundTrips.Setup setup, string configuration, TimeSpan duration, int[] concurrencies)
    {
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite));
        var queue = RoundTrips.Queues(azurite).GetQueueClient(new PaymentOptions().EventQueue);
        var ids = new IdAllocator(tables, Options.Create(new IdOptions()));
        await using var run = await LoadRun.StartAsync(azurite, configuration);
        var rows = new Rows(tables, queue, ids, setup.Transaction, setup.Event);
        var view = $"/api/v1/gateway-transaction/{setup.TransactionId}";
        LoadRun.Operation Pay(PaymentRoundTrips.Tenant tenant) => new("pay/direct", "POST", "/api/v1/pay/direct",
            PaymentRoundTrips.PayDirectBody, tenant.ApiKey, () => rows.PayDirect(tenant));
        LoadRun.Operation View(PaymentRoundTrips.Tenant tenant) =>
            new("view", "GET", view, null, tenant.ApiKey, () => rows.View(tenant, setup.TransactionId));

        // Warm-up on the main tenant, so that the fresh tenants' partitions start empty.
        foreach (var operation in new[] { Pay(setup.Main), View(setup.Main) })
        {
            await run.WarmUpAsync(operation, concurrencies[0]);
        }
        _ = rows.TakeSteps(); // Not the warm-up's.

        var results = new List<LoadRun.Result>();
        var fresh = new Queue<PaymentRoundTrips.Tenant>(setup.Fresh);
        foreach (var concurrency in concurrencies)
        {
            // Azurite (LokiJS in memory) finds a row by filtering its partition's rows, on reads and inserts alike, so
            // each write measurement gets a fresh, empty organisation: else the side that ran second would meet a
            // bigger partition. What still grows (the table, the queue) costs both sides alike, and little.
            var (forGateway, forFloor) = (fresh.Dequeue(), fresh.Dequeue());
            results.Add(await run.CompareAsync(Pay(forGateway), Pay(forFloor), concurrency, duration, rows.TakeSteps));
            results.Add(await run.CompareAsync(View(setup.Main), View(setup.Main), concurrency, duration));
        }
        run.Print("Payments", results, duration);
        Console.WriteLine("  (floor per pay/direct: ApiKeys GET, organisation GET, the id counter's share, one 5-row " +
            "batch whose transaction row");
        Console.WriteLine($"   has {PaymentRoundTrips.Size(setup.Transaction)} bytes of properties as JSON, one queue " +
            $"send; per view: the two auth GETs and the transaction GET; {Environment.ProcessorCount} cores shared by");
        Console.WriteLine("   Azurite, the gateway, wrk and this process)");
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

    /// <summary>
    /// The storage work of one operation, as the gateway does it (see GatewayAuthentication.FromApiKeyAsync,
    /// PaymentService.PayCardAsync and CreateAsync, PaymentStore.NewTransaction, PaymentEvents.PublishAsync).
    /// </summary>
    private sealed class Rows(GatewayTables tables, QueueClient queue, IdAllocator ids, TableEntity transaction, TableEntity paymentEvent)
    {
        // Mean time per step of the floor's pay/direct, to show where its time goes: ticks per step, and the count.
        private readonly long[] _stepTicks = new long[4];
        private long _payments;

        public Func<Task> PayDirect(PaymentRoundTrips.Tenant tenant) => async () =>
        {
            var started = Stopwatch.GetTimestamp();
            await AuthenticateAsync(tables, tenant);
            var step = Step(0, started);
            var id = await ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
            step = Step(1, step);
            // A payment without a payment key indexes the key it was given.
            await CommitAsync(tables,
                NewTransaction(tenant.OrganisationId, id, transaction, paymentEvent, Guid.NewGuid().ToString("N")));
            step = Step(2, step);
            await PublishAsync(queue, tenant.OrganisationId, id, transaction);
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
            await AuthenticateAsync(tables, tenant);
            var partition = PaymentRows.Partition(tenant.OrganisationId);
            _ = await tables.Payments.FindAsync(partition, PaymentRows.TransactionRow(transactionId))
                ?? throw new InvalidOperationException("The transaction to view is missing.");
        };
    }

    /// <summary>An x-api-key merchant's authentication: the key's lookup row, then its organisation.</summary>
    internal static async Task AuthenticateAsync(GatewayTables tables, PaymentRoundTrips.Tenant tenant)
    {
        _ = await tables.ApiKeys.FindAsync(Secrets.Fingerprint(tenant.ApiKey), ApiKeyLookupRow)
            ?? throw new InvalidOperationException("No API key row.");
        _ = await tables.Identity.FindAsync(IdentityKeys.Partition(tenant.OrganisationId), Organisation.RowKey)
            ?? throw new InvalidOperationException("No organisation row.");
    }

    /// <summary>
    /// PaymentStore.NewTransaction's rows, in its order, copies of rows the gateway wrote: transaction, gateway
    /// reference and merchant reference index rows, the payment key's index row when <paramref name="paymentKey"/> is
    /// given, outbox event.
    /// </summary>
    internal static IEnumerable<TableTransactionAction> NewTransaction(long organisationId, long id,
        TableEntity transaction, TableEntity paymentEvent, string? paymentKey)
    {
        var partition = PaymentRows.Partition(organisationId);
        var transactionRow = PaymentRows.TransactionRow(id);
        var eventRow = PaymentRows.EventRow(id, Sequence(transaction));
        yield return TableActions.Insert(PaymentRoundTrips.Copy(transaction, partition, transactionRow));
        yield return IndexRow(partition, PaymentRows.GatewayReferenceRow(Guid.NewGuid().ToString()), id);
        yield return IndexRow(partition, PaymentRows.MerchantReferenceRow("bench", id), id);
        if (paymentKey is not null) yield return IndexRow(partition, PaymentRows.PaymentKeyRow(paymentKey), id);
        yield return TableActions.Insert(PaymentRoundTrips.Copy(paymentEvent, partition, eventRow));
    }

    /// <summary>One entity-group transaction in the Payments table, which must not be refused.</summary>
    internal static async Task<IReadOnlyList<ETag>> CommitAsync(GatewayTables tables,
        IEnumerable<TableTransactionAction> actions) =>
        await tables.Payments.TrySubmitAsync(actions, CancellationToken.None)
            ?? throw new InvalidOperationException("The floor's batch was refused.");

    /// <summary>The new transaction's event on the queue, as PaymentEvents.PublishAsync sends it.</summary>
    internal static Task PublishAsync(QueueClient queue, long organisationId, long id, TableEntity transaction) =>
        queue.SendMessageAsync(new PaymentEvent(Guid.CreateVersion7().ToString(), organisationId, id,
            Sequence(transaction), "success", TransactionStatus.Complete, new JsonObject()).QueueMessage());

    // The event row's sequence is the transaction's version.
    private static int Sequence(TableEntity transaction) => transaction.GetInt32("Version") ?? 1;

    /// <summary>An index row as PaymentStore writes it.</summary>
    private static TableTransactionAction IndexRow(string partition, string row, long transactionId) =>
        TableActions.Insert(new TableEntity(partition, row) { ["Kind"] = "index", ["TransactionId"] = transactionId });

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The gateway process; each line of its stdout goes to <paramref name="output"/> when given.</summary>
    internal static Process StartGateway(string[] command, (string, string)[] environment,
        Action<string>? output = null)
    {
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start)!;
        if (output is not null) process.OutputDataReceived += (_, line) => { if (line.Data is { } data) output(data); };
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
