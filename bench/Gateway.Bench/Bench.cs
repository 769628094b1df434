using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// bench/run.sh builds in Release and runs this. Figures are printed, never asserted. BENCH_ONLY=coldstart runs only
/// the round trips and cold start, BENCH_ONLY=payments only
/// the payments part, BENCH_ONLY=webhooks only the webhooks part; BENCH_SECONDS (default 15) and BENCH_CONCURRENCY
/// (default 8,32) shape the payments load runs; BENCH_WEBHOOK_EVENTS (default 2000) is the webhooks backlog,
/// BENCH_WEBHOOK_RATE (default 20/s, for BENCH_SECONDS) the rate of its latency runs. BENCH_ONLY=schedules runs only
/// the payment schedules part: BENCH_SCHEDULE_OCCURRENCES (default 10000) due occurrences per figure, charged at
/// BENCH_SCHEDULE_PARALLELISM (default 8, the runner's Schedules:Parallelism default). BENCH_ONLY=outage runs only the
/// storage outage part (statuses and latencies while an Azurite of its own is stopped and frozen). BENCH_ONLY=fuzz
/// runs only the fuzzing of the endpoints issue 13 changed (BENCH_FUZZ_REQUESTS, default 500, per endpoint).
/// BENCH_ONLY=codes runs only the payable codes part (round trips, and creation and in-app payment under load, shaped
/// by BENCH_SECONDS and BENCH_CONCURRENCY as the payments part). BENCH_ONLY=cashier runs only the cashier part (round
/// trips of deposits opened and of a tracking_id replayed, and hosted and server-to-server deposits under load, shaped
/// the same way). BENCH_ONLY=collections runs only the collections part: BENCH_COLLECTION_PAYMENTS (default 2000) due
/// debit orders of one organisation booked and submitted by one submission run, then their bank answers applied,
/// each against the storage floor, with the round trips per booked debit and per batch. BENCH_ONLY=console runs only
/// the merchant console part: the storage round trips of each console page and form post, as a signed-in
/// administrator's browser sends them (<see cref="ConsoleRoundTrips"/>). BENCH_ONLY=partitions runs only the payment
/// partitions part: pay/direct per second of organisations spread over 1, 2, 5 and 8 partitions under the simulated
/// Table Storage limits (<see cref="PartitionsLoad"/>), BENCH_SECONDS each at BENCH_PARTITION_CONCURRENCY (default 64)
/// connections, the limits at BENCH_LIMITS_SCALE (default 0.05: 100 entities/s per partition, 1,000 per account);
/// BENCH_PARTITION_COUNTS (default 1,2,5,8) changes the partition counts or their order.
/// </summary>
public static class Bench
{
    // An explicit entry point: a top-level Program here would clash with the gateway's own Program class.
    public static async Task Main(string[] args)
    {
        var configuration = args.Length > 0 ? args[0] : "Release";
        var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;
        var only = Environment.GetEnvironmentVariable("BENCH_ONLY");
        var seconds = int.Parse(Environment.GetEnvironmentVariable("BENCH_SECONDS") ?? "15", System.Globalization.CultureInfo.InvariantCulture);
        var concurrencies = PaymentsLoad.Concurrencies(Environment.GetEnvironmentVariable("BENCH_CONCURRENCY"));
        var webhookEvents = int.Parse(Environment.GetEnvironmentVariable("BENCH_WEBHOOK_EVENTS") ?? "2000", System.Globalization.CultureInfo.InvariantCulture);
        var webhookRate = int.Parse(Environment.GetEnvironmentVariable("BENCH_WEBHOOK_RATE") ?? "20", System.Globalization.CultureInfo.InvariantCulture);
        var scheduleOccurrences = int.Parse(Environment.GetEnvironmentVariable("BENCH_SCHEDULE_OCCURRENCES") ?? "10000", System.Globalization.CultureInfo.InvariantCulture);
        var scheduleParallelism = int.Parse(Environment.GetEnvironmentVariable("BENCH_SCHEDULE_PARALLELISM") ?? "8", System.Globalization.CultureInfo.InvariantCulture);
        var fuzzRequests = int.Parse(Environment.GetEnvironmentVariable("BENCH_FUZZ_REQUESTS") ?? "500", System.Globalization.CultureInfo.InvariantCulture);
        var collectionPayments = int.Parse(Environment.GetEnvironmentVariable("BENCH_COLLECTION_PAYMENTS") ?? "2000",
            System.Globalization.CultureInfo.InvariantCulture);
        var partitionConcurrency = int.Parse(Environment.GetEnvironmentVariable("BENCH_PARTITION_CONCURRENCY") ?? "64",
            System.Globalization.CultureInfo.InvariantCulture);
        var limitsScale = double.Parse(Environment.GetEnvironmentVariable("BENCH_LIMITS_SCALE") ?? "0.05",
            System.Globalization.CultureInfo.InvariantCulture);
        if (only is not (null or "" or "coldstart" or "payments" or "webhooks" or "schedules" or "outage" or "fuzz"
                     or "codes" or "cashier" or "console" or "collections" or "partitions"))
        {
            throw new ArgumentException($"BENCH_ONLY={only}: the parts that run alone are 'coldstart', 'payments', " +
                "'codes', 'cashier', 'console', 'webhooks', 'schedules', 'collections', 'partitions', 'outage' and " +
                "'fuzz'.");
        }

        // Queues apart from tables: Azurite's queue garbage collection stalls its process for seconds at a time.
        await using var azurite = await Azurite.StartSplitAsync();
        Console.WriteLine($"Azurite in memory, tables (port {azurite.TablePort}) and queues (port {azurite.QueuePort}) in " +
            $"processes of their own; {Environment.ProcessorCount} cores.");
        Console.WriteLine();
        if (only is null or "" or "coldstart")
        {
            var setup = await RoundTrips.MeasureAsync(azurite);
            await ColdStart.MeasureAsync(azurite, setup, configuration, runs);
        }
        if (only is null or "" or "payments")
        {
            // Two fresh organisations per concurrency: one for the gateway's pay/direct run, one for the floor's.
            var payments = await PaymentRoundTrips.MeasureAsync(azurite, freshTenants: 2 * concurrencies.Length);
            await PaymentsLoad.MeasureAsync(azurite, payments, configuration, TimeSpan.FromSeconds(seconds), concurrencies);
        }
        if (only is null or "" or "codes")
        {
            // Two fresh organisations per operation and concurrency: one for the gateway's run, one for the floor's.
            var codes = await CodeRoundTrips.MeasureAsync(azurite,
                freshTenants: 2 * CodesLoad.Operations * concurrencies.Length);
            await CodesLoad.MeasureAsync(azurite, codes, configuration, TimeSpan.FromSeconds(seconds), concurrencies);
        }
        if (only is null or "" or "cashier")
        {
            // Two fresh organisations per operation and concurrency: one for the gateway's run, one for the floor's.
            var cashier = await CashierRoundTrips.MeasureAsync(azurite,
                freshTenants: 2 * CashierLoad.Operations * concurrencies.Length);
            await CashierLoad.MeasureAsync(azurite, cashier, configuration, TimeSpan.FromSeconds(seconds),
                concurrencies);
        }
        if (only is null or "" or "console")
        {
            await ConsoleRoundTrips.MeasureAsync(azurite);
        }
        if (only is null or "" or "webhooks")
        {
            await WebhooksLoad.MeasureAsync(azurite, configuration, webhookEvents, webhookRate, TimeSpan.FromSeconds(seconds));
        }
        if (only is null or "" or "schedules")
        {
            await SchedulesLoad.MeasureAsync(azurite, scheduleOccurrences, scheduleParallelism);
        }
        if (only is null or "" or "collections")
        {
            await CollectionsLoad.MeasureAsync(azurite, collectionPayments);
        }
        if (only is null or "" or "partitions")
        {
            await PartitionsLoad.MeasureAsync(azurite, configuration, TimeSpan.FromSeconds(seconds),
                partitionConcurrency, limitsScale);
        }
        if (only is null or "" or "outage")
        {
            await OutageLoad.MeasureAsync(configuration);
        }
        if (only is null or "" or "fuzz")
        {
            await FuzzLoad.MeasureAsync(azurite, configuration, fuzzRequests);
        }
    }
}
