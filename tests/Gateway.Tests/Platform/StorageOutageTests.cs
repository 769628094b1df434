using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Testing;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Platform;

/// <summary>
/// The gateway on an Azurite of its own, which the tests freeze (SIGSTOP: connections hang unanswered) and stop
/// (nothing listens), then bring back. A storage call may take <see cref="Deadline"/> in all, retries included.
/// </summary>
public sealed class OutageApp : GatewayApp
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    private readonly string _location = Path.Combine(Path.GetTempPath(), "gateway-outage-" + Guid.NewGuid().ToString("N"));

    public OutageApp()
    {
        Settings["Storage:Retry:AttemptTimeout"] = "00:00:02";
        Settings["Storage:Retry:OperationTimeout"] = Deadline.ToString();
    }

    protected override Task<Azurite> StartAzuriteAsync() => Azurite.StartPersistentAsync(_location);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Azurite.DisposeAsync();
        Directory.Delete(_location, recursive: true);
    }
}

/// <summary>
/// Storage that does not answer: every request that needs it gets a 503 in its own error shape with Retry-After,
/// within about the storage deadline, and the gateway recovers by itself once storage is back.
/// </summary>
public sealed class StorageOutageTests(OutageApp app) : IClassFixture<OutageApp>
{
    // The deadline is per storage call, and a request's first call is the one that meets the outage; the rest
    // is scheduling slack on a busy machine. Without a deadline these requests would hang for minutes.
    private static readonly TimeSpan Bound = OutageApp.Deadline * 2 + TimeSpan.FromSeconds(1);

    [Fact]
    public async Task WhileStorageIsFrozenRequestsGetA503SoonAndItRecoversWhenStorageAnswersAgain()
    {
        var (merchant, key, apiKey) = await ReadyAsync();
        app.Azurite.Freeze();
        try
        {
            await ExpectUnavailableAsync(merchant, key, apiKey, "timed out");
        }
        finally
        {
            app.Azurite.Thaw();
        }
        await ExpectRecoveredAsync(merchant, key);
    }

    [Fact]
    public async Task WhileStorageIsStoppedRequestsGetA503SoonAndItRecoversWithItsDataWhenStorageIsBack()
    {
        var (merchant, key, apiKey) = await ReadyAsync();
        await app.Azurite.StopAsync();
        try
        {
            await ExpectUnavailableAsync(merchant, key, apiKey, "unreachable");
        }
        finally
        {
            await app.Azurite.RestartAsync();
        }
        await ExpectRecoveredAsync(merchant, key);
    }

    private async Task<(Merchant Merchant, string Key, string ApiKey)> ReadyAsync()
    {
        var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var apiKey = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key")).JsonAsync(201)).Text("key");
        // The password hash is remembered per process after a first success, so the outage meets storage, not hashing.
        await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        return (merchant, key, apiKey);
    }

    private async Task ExpectUnavailableAsync(Merchant merchant, string key, string apiKey, string reason)
    {
        using var withKey = app.ClientWithApiKey(apiKey);
        using var payer = app.Payer();
        using var anonymous = app.CreateClient();

        // An API read (basic auth), a payment (API key), the health check and a hosted page.
        var error = await TimedAsync(() => merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}"));
        AssertUnavailableError(error);
        var payment = await TimedAsync(() => withKey.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card(reference: "outage")));
        AssertUnavailableError(payment);

        var health = await TimedAsync(() => anonymous.GetAsync("/api/health"));
        var body = await health.JsonAsync(503);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal($"failed: {reason}", body.GetProperty("storage").GetProperty("tables").GetString());

        var page = await TimedAsync(() => payer.GetAsync($"/eft?payment_key={key}"));
        Assert.Contains("briefly unavailable", await page.HtmlAsync(503));
        Assert.Equal(TimeSpan.FromSeconds(5), page.Headers.RetryAfter?.Delta);
    }

    private static void AssertUnavailableError(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var error = JsonDocument.Parse(response.Content.ReadAsStringAsync().Result).RootElement;
        Assert.Equal(["name", "message", "code", "status", "type"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Service Unavailable", error.GetProperty("name").GetString());
        Assert.Equal(503, error.GetProperty("status").GetInt32());
        Assert.Equal(@"yii\web\ServiceUnavailableHttpException", error.GetProperty("type").GetString());
        Assert.Contains("retry", error.GetProperty("message").GetString());
    }

    /// <summary>The response, checked to have come within <see cref="Bound"/>.</summary>
    private static async Task<HttpResponseMessage> TimedAsync(Func<Task<HttpResponseMessage>> request)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await request();
        var took = Stopwatch.GetElapsedTime(started);
        Assert.True(took < Bound, $"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode} after {took}, " +
            $"more than {Bound}: storage's deadline does not hold.");
        return response;
    }

    /// <summary>Back to normal with nothing done by hand: the same requests succeed, and what was stored before is there.</summary>
    private async Task ExpectRecoveredAsync(Merchant merchant, string key)
    {
        await Eventually.HoldsAsync(async () => (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).IsSuccessStatusCode,
            "the organisation can be read again");
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync("/api/health")).JsonAsync(200);
        using var payer = app.Payer();
        await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);
        var paid = (await merchant.Client.PayAsync(reference: "after the outage")).Transaction();
        Assert.Equal("complete", paid.Text("status"));
        // The payment tried during the outage was never written: the merchant's list shows only the one made after.
        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200);
        Assert.Equal(["after the outage"], listed.EnumerateArray().Select(t => t.Text("merchant_reference")));
    }
}
