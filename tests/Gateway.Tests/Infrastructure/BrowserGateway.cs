using System.Collections.Concurrent;
using System.Net;
using Gateway.Tests.Hosting;
using Microsoft.Playwright;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The whole gateway as <see cref="GatewayApp"/> runs it (same Settings, Azurite, clock and service hooks), but served
/// by Kestrel on a real loopback port, because a browser cannot reach the in-memory TestServer. CreateClient (and so
/// ClientFor and the other helpers) then sends real HTTP to that port. Pages come from one Chromium per test process.
/// </summary>
public class BrowserGateway : GatewayApp
{
    /// <summary>Deadline for each page action, navigation and assertion: generous for a loaded 2-core CI machine.</summary>
    public static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentBag<IBrowserContext> _contexts = [];
    private readonly Lazy<Task<IBrowser>> _browser = new(SharedBrowser.AcquireAsync);
    private int _disposed;

    public BrowserGateway()
    {
        // The port is chosen before start because the app's own configuration must name it (its absolute URLs).
        Port = GatewayProcess.FreePort();
        BaseUrl = $"http://127.0.0.1:{Port}";
        Settings["Payments:PublicBaseUrl"] = BaseUrl;
        this.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port));
    }

    public int Port { get; }

    /// <summary>Where the gateway answers, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string BaseUrl { get; }

    /// <summary>A page in its own browser context (no cookies or storage shared with other pages), relative URLs resolved against BaseUrl.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await (await _browser.Value).NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl });
        _contexts.Add(context);
        context.SetDefaultTimeout((float)PageTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)PageTimeout.TotalMilliseconds);
        return await context.NewPageAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && _browser.IsValueCreated && await HoldsBrowserAsync())
            {
                foreach (var context in _contexts) await context.CloseAsync();
                await SharedBrowser.ReleaseAsync();
            }
        }
        finally
        {
            await base.DisposeAsync();
        }
    }

    /// <summary>Whether this fixture's acquire succeeded (a failed launch has already failed the test that asked).</summary>
    private async Task<bool> HoldsBrowserAsync()
    {
        try
        {
            await _browser.Value;
            return true;
        }
        catch (PlaywrightException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>
/// One headless Debian Chromium per test process, launched on first use and closed when the last fixture using it is
/// disposed (Playwright's driver also takes the browser down if the process dies first). Never Playwright's own
/// browser download: test.sh installs /usr/bin/chromium.
/// </summary>
public static class SharedBrowser
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;
    private static int _users;

    /// <summary>The browser, launched if need be; the caller holds it open until it calls ReleaseAsync once.</summary>
    public static async Task<IBrowser> AcquireAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_browser is null)
            {
                if (!File.Exists(ExecutablePath))
                    throw new InvalidOperationException($"{ExecutablePath} is missing: run ./test.sh, which installs Debian's chromium package.");
                // Assertions' deadline is process-wide; the default 5 s is too tight for a loaded CI machine.
                Assertions.SetDefaultExpectTimeout((float)BrowserGateway.PageTimeout.TotalMilliseconds);
                _playwright ??= await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    Headless = true,
                    ExecutablePath = ExecutablePath,
                    Timeout = (float)BrowserGateway.PageTimeout.TotalMilliseconds,
                    Args =
                    [
                        "--no-sandbox", // running as root in CI containers, where the setuid/user-namespace sandbox is unavailable
                        "--disable-gpu",
                        "--disable-dev-shm-usage", // containers often have a 64 MB /dev/shm
                        "--disable-background-networking",
                        "--no-first-run",
                    ],
                });
            }
            _users++;
            return _browser;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task ReleaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (--_users > 0 || _browser is null) return;
            await _browser.CloseAsync();
            _browser = null;
            _playwright?.Dispose();
            _playwright = null;
        }
        finally
        {
            Gate.Release();
        }
    }
}
