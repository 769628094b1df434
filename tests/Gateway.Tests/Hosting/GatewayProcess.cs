using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Testing;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The built gateway executable (Gateway.dll) run with <c>dotnet</c> as a child process, the way the Functions host
/// or a developer starts it. The process tree is killed on dispose; its output is kept for failure messages.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private GatewayProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output => string.Join('\n', _output);

    /// <summary>Gateway.dll as built: copied next to the test assembly, else the Gateway project's own output.</summary>
    public static string GatewayDll { get; } = FindGatewayDll();

    /// <summary>The dotnet host running these tests (so the child uses the same runtime), else dotnet on PATH.</summary>
    public static string Dotnet { get; } =
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    public static GatewayProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(GatewayDll)!,
        };
        start.ArgumentList.Add(GatewayDll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The child must not inherit a mode from the test environment: the test says which mode it wants.
        start.Environment.Remove("FUNCTIONS_CUSTOMHANDLER_PORT");
        start.Environment.Remove("GATEWAY_PORT");
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var child = new GatewayProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet."));
        child._process.OutputDataReceived += (_, e) => { if (e.Data is not null) child._output.Enqueue(e.Data); };
        child._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) child._output.Enqueue(e.Data); };
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs to completion within the deadline (killed and failed otherwise); returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"The gateway process did not exit within {within}. Output:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>Polls GET url until the process answers anything at all (as the Functions host's readiness check does).</summary>
    public async Task WaitUntilAnsweringAsync(HttpClient client, string url, TimeSpan within)
    {
        await Infrastructure.Eventually.HoldsAsync(async () =>
        {
            if (_process.HasExited) Assert.Fail($"The gateway process exited with {_process.ExitCode}. Output:\n{Output}");
            try
            {
                using var response = await client.GetAsync(url);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"the gateway process answers GET {url} (output so far:\n{Output})", within);
    }

    /// <summary>A TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string FindGatewayDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        if (File.Exists(beside) && File.Exists(Path.ChangeExtension(beside, ".runtimeconfig.json"))) return beside;

        // The same configuration and target framework as the tests: bin/{Configuration}/{tfm}/.
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var built = Path.Combine(Azurite.RepositoryRoot(), "functions", "Gateway", "bin", output.Parent!.Name, output.Name, "Gateway.dll");
        return File.Exists(built)
            ? built
            : throw new InvalidOperationException($"Gateway.dll is neither next to the tests ({beside}) nor at {built}; build the solution first.");
    }
}
