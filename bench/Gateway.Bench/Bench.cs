using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>
/// bench/run.sh builds in Release and runs this. Figures are printed, never asserted. BENCH_ONLY=payments runs only
/// the payments part; BENCH_SECONDS (default 15) and BENCH_CONCURRENCY (default 8,32) shape its load runs.
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
        if (only is not (null or "" or "payments")) throw new ArgumentException($"BENCH_ONLY={only}: the only part that runs alone is 'payments'.");

        await using var azurite = await Azurite.StartAsync();
        Console.WriteLine($"Azurite in memory on table port {azurite.TablePort}, queue port {azurite.QueuePort}; {Environment.ProcessorCount} cores.");
        Console.WriteLine();
        if (only != "payments")
        {
            var setup = await RoundTrips.MeasureAsync(azurite);
            await ColdStart.MeasureAsync(azurite, setup, configuration, runs);
        }
        // Two fresh organisations per concurrency: one for the gateway's pay/direct run, one for the floor's.
        var payments = await PaymentRoundTrips.MeasureAsync(azurite, freshTenants: 2 * concurrencies.Length);
        await PaymentsLoad.MeasureAsync(azurite, payments, configuration, TimeSpan.FromSeconds(seconds), concurrencies);
    }
}
