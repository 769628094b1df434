using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Storage.Queues;
using Gateway.Hosting;
using Gateway.Notifications;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Express;

/// <summary>
/// The gateway with tables and a notifications queue of its own (its queue function works over a whole queue, and
/// every test class shares one Azurite), with fast queue settings: 100 ms polls, instant retries, 3 attempts.
/// </summary>
public class ExpressApp : GatewayApp
{
    public const int MaxDequeueCount = 3;

    public ExpressApp() : this(null)
    {
    }

    protected ExpressApp(ManualClock? clock)
    {
        Clock = clock;
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "exp" + run;
        // This app's NotificationSender listens on a queue of its own.
        Settings["Notifications:Queue"] = "ntf-" + run;
    }

    public QueueFunction Sender => Service<FunctionRegistry>().FindQueue(nameof(NotificationSender))!;

    public QueueClient Poison => Service<QueueServiceClient>().GetQueueClient(Sender.QueueName + "-poison");

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.PostConfigure<QueueHostOptions>(o =>
        {
            o.MaxPollingInterval = TimeSpan.FromMilliseconds(100);
            o.VisibilityTimeout = TimeSpan.Zero;
            o.MaxDequeueCount = MaxDequeueCount;
        });
    }
}

/// <summary>On a clock the tests move, for expiry. Its queue poller waits on that clock too, so it sends nothing unless moved.</summary>
public sealed class ExpressClockApp() : ExpressApp(new ManualClock(new DateTimeOffset(2026, 3, 10, 8, 0, 0, TimeSpan.Zero)));

/// <summary>An SMS provider that is down: every send throws.</summary>
public sealed class FailingSmsSender : ISmsSender
{
    public int Calls;

    public Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        throw new HttpRequestException("The SMS provider is down.");
    }
}

public sealed class FailingSenderApp : ExpressApp
{
    public FailingSmsSender Failing { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<ISmsSender>(Failing);
    }
}

/// <summary>An SMS gateway on loopback that fails its first <see cref="Failures"/> requests, then accepts.</summary>
public sealed class SmsReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public SmsReceiver(int failures)
    {
        Failures = failures;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/sms", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var failed = Interlocked.Increment(ref _requests) <= Failures;
            Received.Enqueue((request.Headers.Authorization.ToString(), body, failed));
            return failed ? Results.StatusCode(503) : Results.Ok();
        });
        // A fixture constructor cannot await; the receiver must be listening before the gateway reads its URL.
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Urls.Single() + "/sms";
    }

    private int _requests;

    public int Failures { get; }

    public string Url { get; }

    public ConcurrentQueue<(string Authorization, string Body, bool Failed)> Received { get; } = new();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

public sealed class HttpSmsApp : ExpressApp
{
    public const string Token = "sms-token-for-tests";

    public HttpSmsApp()
    {
        Settings["Notifications:Sms:Provider"] = "http";
        Settings["Notifications:Sms:Url"] = Receiver.Url;
        Settings["Notifications:Sms:Token"] = Token;
    }

    public SmsReceiver Receiver { get; } = new(failures: 2);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

public static class ExpressKit
{
    public static async Task<JsonElement> SmsAsync(this HttpClient client, string amount = "25.00", string reference = "test", params (string, string)[] extra) =>
        await (await client.PostFormAsync("/api/v1/express/sms", [("amount", amount), ("reference", reference), ("number", "27821112222"), .. extra])).JsonAsync(200);

    public static async Task<JsonElement> EmailAsync(this HttpClient client, string amount = "25.00", string reference = "test", params (string, string)[] extra) =>
        await (await client.PostFormAsync("/api/v1/express/email", [("amount", amount), ("reference", reference), ("email", "jondoe@domain.com"), .. extra])).JsonAsync(200);

    public static Task<HttpResponseMessage> CancelAsync(this HttpClient client, params (string Key, string Value)[] fields) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/express") { Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))) });

    /// <summary>The path of a link (<c>/u/{code}</c>), to open it on the in-memory server.</summary>
    public static string LinkPath(string link) => new Uri(link).AbsolutePath;

    /// <summary>The payment key a link leads to, from its 303.</summary>
    public static async Task<string> KeyOfLinkAsync(this HttpClient payer, string link)
    {
        var response = await payer.GetAsync(LinkPath(link));
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query)["payment_key"].ToString();
    }

    public static async Task<JsonElement[]> NotificationsAsync(this HttpClient client, long organisationId) =>
        [.. (await (await client.GetAsync($"/api/v1/organisation/{organisationId}/notifications")).JsonAsync(200)).EnumerateArray()];
}
