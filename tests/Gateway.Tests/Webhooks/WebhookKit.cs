using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Identity;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Webhooks;

/// <summary>A request a <see cref="WebhookReceiver"/> got.</summary>
public sealed record ReceivedWebhook(string Path, string ContentType, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public IReadOnlyList<KeyValuePair<string, string>> Fields =>
        [.. Body.Split('&').Select(p => p.Split('=', 2)).Select(kv => KeyValuePair.Create(Uri.UnescapeDataString(kv[0]), Uri.UnescapeDataString(kv[1].Replace('+', ' '))))];

    public string Field(string name) => Fields.Single(f => f.Key == name).Value;

    public string EventId => Headers["X-Gateway-Event-Id"];
}

/// <summary>
/// A real HTTP server on 127.0.0.1 at a free port that records every request and answers with the status
/// <see cref="Answer"/> gives for the request's number (1-based) at its path.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _counts = new();

    /// <summary>Answers from this path reach the gateway with their status and then a body cut short (see <see cref="CutShortHandler"/>).</summary>
    public const string BrokenPath = "/broken";

    public ConcurrentQueue<ReceivedWebhook> Requests { get; } = new();

    public Func<string, int, int> Answer { get; set; } = (_, _) => 200;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url(string path = "/hook") => $"http://127.0.0.1:{new Uri(_app.Urls.First()).Port}{path}";

    public IReadOnlyList<ReceivedWebhook> At(string path) => [.. Requests.Where(r => r.Path == path)];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Path.Value!;
            var number = receiver._counts.AddOrUpdate(path, 1, (_, n) => n + 1);
            receiver.Requests.Enqueue(new ReceivedWebhook(path, context.Request.ContentType ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            var status = receiver.Answer(path, number);
            context.Response.StatusCode = status;

            if (status is >= 300 and < 400) context.Response.Headers.Location = "/elsewhere";
            await context.Response.WriteAsync($"answer {number} from {path}");
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// The gateway delivering webhooks, with tables and an event queue of its own (its delivery and sweep work over
/// whole queues and tables), loopback allowed for the receiver, a fast retry schedule (three attempts a second
/// apart) and a host resolver the tests set.
/// </summary>
public sealed class WebhookGatewayApp : GatewayApp
{
    public WebhookGatewayApp()
    {
        DeliversWebhooks = true;
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "hooks" + run;
        Settings["Payments:EventQueue"] = "hooks-" + run;
        Settings["Webhooks:AllowLoopback"] = "true";
        Settings["Webhooks:RetrySchedule"] = "1s,1s";
        Settings["Webhooks:Timeout"] = "00:00:05";
    }

    /// <summary>Names the tests resolve; anything else is refused as unresolvable, so no test reaches real DNS.</summary>
    public ConcurrentDictionary<string, IPAddress[]> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<ResolveHost>((host, _) => Hosts.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound)));
        services.AddHttpClient(WebhookDelivery.HttpClientName).AddHttpMessageHandler(() => new CutShortHandler());
    }
}

/// <summary>
/// Lets the receiver's answer through, but for <see cref="WebhookReceiver.BrokenPath"/> replaces its body with one
/// that breaks after a few bytes, as a connection reset mid-body would (deterministic, unlike a real reset).
/// </summary>
public sealed class CutShortHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri!.AbsolutePath != WebhookReceiver.BrokenPath) return response;
        response.Content.Dispose();
        response.Content = new StreamContent(new BreakingStream());
        return response;
    }

    private sealed class BreakingStream : Stream
    {
        private bool _sent;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_sent) throw new IOException("Connection reset by peer.");
            _sent = true;
            var partial = "partial"u8;
            partial.CopyTo(buffer.AsSpan(offset, count));
            return partial.Length;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public static class WebhookKit
{
    public static readonly string[] PaymentFields =
    [
        "success", "status", "organisation_id", "amount", "callpay_transaction_id", "reason", "user", "merchant_reference",
        "gateway_reference", "gateway_response", "currency", "payment_key",
    ];

    public static readonly string[] RefundFields =
    [
        "success", "organisation_id", "refunded_amount", "callpay_transaction_id", "reason", "user", "merchant_reference",
        "gateway_reference", "currency", "payment_key", "gateway_response",
    ];

    /// <summary>Sets the organisation's webhook fields through the settings API and returns its signing secret.</summary>
    public static async Task<string> SetWebhooksAsync(this Merchant merchant, params (string Field, string Value)[] fields)
    {
        var body = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            [.. fields.Select(f => ($"Organisation[{f.Field}]", f.Value))])).JsonAsync(200);
        return body.GetProperty("webhook_secret").GetString()!;
    }

    /// <summary>Verifies the signature header as the README tells receivers to; returns how many v1 values the secret matched.</summary>
    public static int MatchingSignatures(ReceivedWebhook hook, string secret)
    {
        var parts = hook.Headers["X-Gateway-Signature"].Split(',').Select(p => p.Split('=', 2)).ToList();
        var t = parts.Single(p => p[0] == "t")[1];
        Assert.Equal(hook.Headers["X-Gateway-Timestamp"], t);
        var signed = $"{t}.{hook.Headers["X-Gateway-Event-Id"]}.{hook.Headers["X-Gateway-Sequence"]}.{hook.Body}";
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signed)));
        return parts.Count(p => p[0] == "v1" && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(p[1]), Encoding.ASCII.GetBytes(expected)));
    }

    public static async Task<JsonElement> AttemptsAsync(this Merchant merchant, long transactionId) =>
        await (await merchant.Client.GetAsync($"/api/v1/gateway-transaction/webhooks/{transactionId}")).JsonAsync(200);

    public static async Task<string?> DeliveryAsync(this GatewayApp app, long organisationId, long transactionId, int index = 0) =>
        (await app.EventsAsync(organisationId, transactionId)).ElementAtOrDefault(index)?.GetString("Delivery");

    public static Task UntilAsync(Func<Task<bool>> condition, string what) => Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(30));

    public static Task UntilAsync(Func<bool> condition, string what) => Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(30));

    public static HttpContent Empty => new FormUrlEncodedContent([]);
}
