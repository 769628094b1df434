using Gateway.Testing;

namespace Gateway.Bench;

/// <summary>bench/run.sh builds in Release and runs this. Figures are printed, never asserted.</summary>
public static class Bench
{
    // An explicit entry point: a top-level Program here would clash with the gateway's own Program class.
    public static async Task Main(string[] args)
    {
        var configuration = args.Length > 0 ? args[0] : "Release";
        var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;

        await using var azurite = await Azurite.StartAsync();
        Console.WriteLine($"Azurite in memory on table port {azurite.TablePort}, queue port {azurite.QueuePort}; {Environment.ProcessorCount} cores.");
        Console.WriteLine();
        var setup = await RoundTrips.MeasureAsync(azurite);
        await ColdStart.MeasureAsync(azurite, setup, configuration, runs);
    }
}
