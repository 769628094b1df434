using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Testing;

/// <summary>
/// A real Azurite (the Azure Storage emulator, installed from npm by ./test.sh) running in memory on free
/// ports. One instance serves a whole test process: tests isolate themselves by their own table names,
/// queue names and tenants, the way tenants share one storage account in production. Tests of storage outages
/// start one of their own that keeps its data on disk, so it can be frozen, stopped and started again.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{

    /// <summary>The emulator's well-known development account (public, documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    // Split: Azurite's queue collection stalls its process for seconds once many messages were deleted, and tests
    // that only touch tables must not meet that.
    private static readonly Lazy<Task<Azurite>> SharedInstance = new(() => StartSplitAsync());
    private readonly string? _location;
    private Process? _queueProcess;
    private Process _process;

    private Azurite(Process process, int queuePort, int tablePort, string? location, Process? queueProcess = null)
    {
        _process = process;
        QueuePort = queuePort;
        TablePort = tablePort;
        _location = location;
        _queueProcess = queueProcess;
    }

    public int QueuePort { get; }
    public int TablePort { get; }

    /// <summary>CPU time the emulator has spent (both processes when queues run apart), for benchmarks.</summary>
    public TimeSpan CpuTime()
    {
        var total = TimeSpan.Zero;
        foreach (var process in new[] { _process, _queueProcess }.OfType<Process>())
        {
            process.Refresh();
            total += process.TotalProcessorTime;
        }
        return total;
    }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>The process-wide instance, started on first use and stopped when the process exits.</summary>
    public static Task<Azurite> SharedAsync() => SharedInstance.Value;

    /// <summary>An Azurite of its own that keeps its data in <paramref name="location"/>, so a restart finds it.</summary>
    public static async Task<Azurite> StartPersistentAsync(string location, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(location);
        var (process, queuePort, tablePort) = await LaunchAsync(location, 0, 0, cancellationToken);
        return new Azurite(process, queuePort, tablePort, location);
    }

    public static async Task<Azurite> StartAsync(CancellationToken cancellationToken = default)
    {
        var (process, queuePort, tablePort) = await LaunchAsync(null, 0, 0, cancellationToken);
        return new Azurite(process, queuePort, tablePort, null);
    }

    /// <summary>
    /// Tables from one emulator process and queues from another, for benchmarks. Azurite's queue garbage collection,
    /// once thousands of messages were deleted, stops its whole process for tens of seconds (32 s seen after 6,000
    /// send-and-delete pairs); apart, that stall holds up only queue calls, and table figures measure tables.
    /// </summary>
    public static async Task<Azurite> StartSplitAsync(CancellationToken cancellationToken = default)
    {
        var (tables, _, tablePort) = await LaunchAsync(null, 0, 0, cancellationToken);
        var (queues, queuePort, _) = await LaunchAsync(null, 0, 0, cancellationToken);
        return new Azurite(tables, queuePort, tablePort, null, queues);
    }

    /// <summary>
    /// A fresh, empty queue process on the same port (split instances only), for a benchmark figure that must not
    /// inherit the garbage the previous one left for Azurite's queue collection.
    /// </summary>
    public async Task RestartQueuesAsync(CancellationToken cancellationToken = default)
    {
        var queues = _queueProcess ?? throw new InvalidOperationException("Only a split Azurite has a queue process of its own.");
        Kill(queues);
        await queues.WaitForExitAsync(cancellationToken);
        queues.Dispose();
        (_queueProcess, _, _) = await LaunchAsync(null, QueuePort, 0, cancellationToken);
    }

    /// <summary>SIGSTOP: the process keeps its ports (connections are accepted by the kernel) and answers nothing.</summary>
    public void Freeze() => Signals.Send(_process.Id, Signals.Stop);

    public void Thaw() => Signals.Send(_process.Id, Signals.Continue);

    /// <summary>Stops it as Ctrl+C would (SIGINT: it saves its data and exits); its ports then refuse connections.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Signals.Send(_process.Id, Signals.Interrupt);
        await _process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Starts it again on the same ports and data (persistent instances only).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var location = _location ?? throw new InvalidOperationException("Only an Azurite that keeps its data can be restarted.");
        _process.Dispose();
        (_process, _, _) = await LaunchAsync(location, QueuePort, TablePort, cancellationToken);
    }

    private static async Task<(Process Process, int QueuePort, int TablePort)> LaunchAsync(string? location, int queuePort, int tablePort,
        CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing). Run ./test.sh, which installs it with 'npm ci'.");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[]
        {
            script, "--silent", "--disableTelemetry", "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", queuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", tablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(location is null ? ["--inMemoryPersistence"] : ["--location", location]))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        int? listeningQueue = null, listeningTable = null;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("Azurite exited: " + string.Join('\n', output)));
                return;
            }
            output.Enqueue(e.Data);
            var match = ListeningLine().Match(e.Data);
            if (!match.Success) return;
            var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            lock (output)
            {
                if (match.Groups["service"].Value == "Queue") listeningQueue = port;
                if (match.Groups["service"].Value == "Table") listeningTable = port;
                if (listeningQueue is not null && listeningTable is not null) ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await ready.Task.WaitAsync(timeout.Token);
        }
        catch
        {
            Kill(process);
            throw;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill(process);
        return (process, listeningQueue!.Value, listeningTable!.Value);
    }

    /// <summary>The checkout's root: the nearest ancestor of the test binaries that holds package.json.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && File.Exists(Path.Combine(dir.FullName, "host.json")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Could not find the repository root (package.json next to host.json).");
    }

    public ValueTask DisposeAsync()
    {
        if (_location is not null && !_process.HasExited) Signals.Send(_process.Id, Signals.Continue);
        Kill(_process);
        if (_queueProcess is not null)
        {
            Kill(_queueProcess);
            _queueProcess.Dispose();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
