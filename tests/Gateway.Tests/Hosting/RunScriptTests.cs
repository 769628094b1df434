using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>
/// <c>./run.sh</c> as a developer uses it, for real: start it, write, press Ctrl+C (SIGINT to its process group, as
/// a terminal sends it) right after the write is answered, start it again and read back. Each copy runs on ports and
/// a data folder of its own, so it never meets a developer's own run.
/// </summary>
public sealed class RunScriptTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "gateway-run-" + Guid.NewGuid().ToString("N"));
    private readonly int[] _ports = [FreePort(), FreePort(), FreePort(), FreePort()];

    public void Dispose()
    {
        foreach (var pid in ProcessesOfThisRun()) Signals.Send(pid, 9);
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task CtrlCRightAfterAnAnsweredWriteLosesNothingAndLeavesNoProcessBehind()
    {
        const int rounds = 3;
        var written = new List<string>();
        for (var round = 0; round <= rounds; round++)
        {
            var run = await StartAsync();
            using var admin = run.AdminClient();
            var usernames = await UsernamesAsync(admin, run);
            Assert.All(written, name => Assert.Contains(name, usernames));
            if (round == rounds)
            {
                await InterruptAsync(run);
                break;
            }

            var name = $"durable-{round}-{Guid.NewGuid():N}"[..24];
            var created = await admin.PostAsync($"http://127.0.0.1:{run.Port}/api/v1/user", new FormUrlEncodedContent(
                [KeyValuePair.Create("User[username]", name), KeyValuePair.Create("User[role]", "agent")]));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            written.Add(name);

            await InterruptAsync(run);
            Assert.Empty(ProcessesOfThisRun());
            foreach (var port in _ports) Assert.False(Listening(port), $"port {port} is still held after Ctrl+C");
        }
    }

    private sealed record Run(Process Script, int Port, long OrganisationId, string Username, string Password, StringBuilder Output)
    {
        public HttpClient AdminClient()
        {
            var client = new HttpClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
            return client;
        }
    }

    private async Task<Run> StartAsync()
    {
        // A session of its own, so the group can be signalled like a terminal's; SIGINT at its default disposition,
        // as in a terminal (a process started in the background may have inherited it ignored).
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = Azurite.RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "env", "--default-signal=INT", "./run.sh" }) start.ArgumentList.Add(argument);
        start.Environment["GATEWAY_LOCAL_DIR"] = _folder;
        start.Environment["GATEWAY_PORT"] = Port(0);
        start.Environment["AZURITE_BLOB_PORT"] = Port(1);
        start.Environment["AZURITE_QUEUE_PORT"] = Port(2);
        start.Environment["AZURITE_TABLE_PORT"] = Port(3);
        var script = Process.Start(start) ?? throw new InvalidOperationException("Could not start ./run.sh.");
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith("Press Ctrl+C to stop.", StringComparison.Ordinal)) ready.TrySetResult();
        }
        script.OutputDataReceived += Read;
        script.ErrorDataReceived += Read;
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();

        // The first start builds the gateway; later ones find it built.
        var exited = script.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(4))) != ready.Task)
        {
            throw new InvalidOperationException($"./run.sh did not get ready:\n{output}");
        }
        using var demo = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "demo.json")));
        var admin = demo.RootElement.GetProperty("admin");
        return new Run(script, _ports[0], demo.RootElement.GetProperty("organisation_id").GetInt64(),
            admin.GetProperty("username").GetString()!, admin.GetProperty("password").GetString()!, output);
    }

    /// <summary>Ctrl+C: SIGINT to the script's whole process group; the script must then stop everything and exit.</summary>
    private static async Task InterruptAsync(Run run)
    {
        Signals.Send(-run.Script.Id, Signals.Interrupt);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await run.Script.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"./run.sh did not exit after Ctrl+C:\n{run.Output}");
        }
        Assert.Equal(130, run.Script.ExitCode);
        Assert.Contains("== Stopping Azurite", run.Output.ToString());
    }

    private static async Task<List<string>> UsernamesAsync(HttpClient admin, Run run)
    {
        var users = await (await admin.GetAsync($"http://127.0.0.1:{run.Port}/api/v1/organisation/{run.OrganisationId}/user")).JsonAsync(200);
        return [.. users.EnumerateArray().Select(u => u.GetProperty("username").GetString()!)];
    }

    /// <summary>Processes still running from this test's copy: its data folder is on their command line.</summary>
    private List<int> ProcessesOfThisRun() =>
    [
        .. Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit)).Where(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Contains(_folder, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false; // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }).Select(int.Parse),
    ];

    private string Port(int index) => _ports[index].ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
