using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Webhooks;

/// <summary>Webhook settings, resends, re-deliveries and the delivery log through the API, and who may see what.</summary>
public sealed class WebhookApiTests(WebhookGatewayApp app) : IClassFixture<WebhookGatewayApp>
{
    [Fact]
    public async Task AdministratorsSetAndClearWebhookUrlsAndSeeTheSecretThatApiKeysCannotRead()
    {
        using var merchant = await app.MerchantAsync();
        var secret = await merchant.SetWebhooksAsync(("webhook_success_url", "http://127.0.0.1:9/ok"), ("webhook_refund_url", "http://127.0.0.1:9/refund"));
        Assert.StartsWith("whsec_", secret);
        await merchant.SetWebhooksAsync(("webhook_refund_url", ""));

        var viewed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("http://127.0.0.1:9/ok", viewed.Text("webhook_success_url"));
        Assert.Equal(JsonValueKindNull, viewed.GetProperty("webhook_refund_url").ValueKind);
        Assert.Equal(secret, viewed.Text("webhook_secret"));

        var key = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key")).JsonAsync(201)).Text("key");
        using var withKey = app.ClientWithApiKey(key);
        var byKey = await (await withKey.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("http://127.0.0.1:9/ok", byKey.Text("webhook_success_url"));
        Assert.False(byKey.TryGetProperty("webhook_secret", out _));
        Assert.False(byKey.TryGetProperty("webhook_previous_secret", out _));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/hook", "absolute http or https")]
    [InlineData("/relative", "absolute http or https")]
    [InlineData("http://user:pw@127.0.0.1/hook", "user name")]
    [InlineData("http://10.0.0.5/hook", "10.0.0.5")]
    [InlineData("http://169.254.169.254/latest/meta-data", "169.254.169.254")]
    [InlineData("http://[fd00:ec2::254]/", "fd00:ec2::254")]
    [InlineData("http://internal.test/hook", "10.1.2.3")]
    [InlineData("http://nowhere.test/hook", "does not resolve")]
    public async Task RefusedWebhookUrlsAreA400NamingTheField(string url, string reason)
    {
        app.Hosts["internal.test"] = [IPAddress.Parse("203.0.113.9"), IPAddress.Parse("10.1.2.3")];
        using var merchant = await app.MerchantAsync();
        var error = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[webhook_error_url]", url))).ErrorAsync(400);
        Assert.Contains("Organisation[webhook_error_url]", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public async Task LiveOrganisationsNeedHttpsAndARotateValueMustBeOne()
    {
        using var live = await app.MerchantAsync(mode: "live");
        var error = await (await live.Client.PutFormAsync($"/api/v1/organisation/{live.Id}", ("Organisation[webhook_success_url]", "http://127.0.0.1:9/ok"))).ErrorAsync(400);
        Assert.Contains("must be https for a live organisation", error);
        Assert.Contains("Organisation[webhook_secret_rotate]",
            await (await live.Client.PutFormAsync($"/api/v1/organisation/{live.Id}", ("Organisation[webhook_secret_rotate]", "yes"))).ErrorAsync(400));
    }

    [Fact]
    public async Task AResendPostsTheLatestEventToTheGivenUrlAndARedeliveryUsesTheUsualOne()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/ok")));
        var t = (await merchant.Client.PayAsync()).Transaction();
        await WebhookKit.UntilAsync(() => receiver.At("/ok").Count == 1, "the webhook arrives");

        var resent = await (await merchant.Client.PostFormAsync($"/api/v1/gateway-transaction/resend-webhook/{t.Id()}", ("url", receiver.Url("/again")))).JsonAsync(200);
        Assert.Equal(["success", "message"], resent.Keys());
        Assert.True(resent.GetProperty("success").GetBoolean());
        Assert.Equal("Webhook has been queued successfully", resent.Text("message"));
        await WebhookKit.UntilAsync(() => receiver.At("/again").Count == 1, "the resent webhook arrives");
        var eventId = receiver.At("/ok").Single().EventId;
        Assert.Equal(eventId, receiver.At("/again").Single().EventId);

        await (await merchant.Client.PostAsync($"/api/v1/webhook-event/{eventId}/redeliver", null)).JsonAsync(202);
        await WebhookKit.UntilAsync(() => receiver.At("/ok").Count == 2, "the re-delivered webhook arrives");
        Assert.Equal(eventId, receiver.At("/ok")[1].EventId);

        await WebhookKit.UntilAsync(async () => (await merchant.AttemptsAsync(t.Id())).GetArrayLength() == 3, "all three attempts are logged");
        var viewed = await (await merchant.Client.GetAsync($"/api/v1/webhook-event/{eventId}")).JsonAsync(200);
        Assert.Equal("delivered", viewed.Text("delivery"));
        Assert.Equal(3, viewed.GetProperty("attempts").GetArrayLength());
        Assert.Equal(3, viewed.GetProperty("attempts").EnumerateArray().Select(a => a.Text("chain")).Distinct().Count());
    }

    [Fact]
    public async Task ResendRefusesBadInput()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync()).Transaction();
        var url = $"/api/v1/gateway-transaction/resend-webhook/{t.Id()}";
        Assert.Contains("url", await (await merchant.Client.PostFormAsync(url)).ErrorAsync(400));
        Assert.Contains("absolute http or https", await (await merchant.Client.PostFormAsync(url, ("url", "not a url"))).ErrorAsync(400));
        Assert.Contains("169.254.169.254", await (await merchant.Client.PostFormAsync(url, ("url", "http://169.254.169.254/"))).ErrorAsync(400));
        await (await merchant.Client.PostFormAsync("/api/v1/gateway-transaction/resend-webhook/999999999", ("url", "http://127.0.0.1:9/"))).ErrorAsync(404);
        await (await merchant.Client.PostFormAsync("/api/v1/gateway-transaction/resend-webhook/abc", ("url", "http://127.0.0.1:9/"))).ErrorAsync(404);
        await (await merchant.Client.GetAsync("/api/v1/webhook-event/not-a-guid")).ErrorAsync(404);
        await (await merchant.Client.GetAsync($"/api/v1/webhook-event/{Guid.NewGuid()}")).ErrorAsync(404);
        await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/abc/webhooks")).ErrorAsync(404);
    }

    [Fact]
    public async Task AnotherOrganisationsTransactionsAndEventsAreNotFound()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        await owner.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var t = (await owner.Client.PayAsync()).Transaction();
        await WebhookKit.UntilAsync(() => receiver.Requests.Count == 1, "the webhook arrives");
        var eventId = receiver.Requests.Single().EventId;

        await (await other.Client.GetAsync($"/api/v1/gateway-transaction/webhooks/{t.Id()}")).ErrorAsync(404);
        await (await other.Client.PostFormAsync($"/api/v1/gateway-transaction/resend-webhook/{t.Id()}", ("url", receiver.Url()))).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/webhook-event/{eventId}")).ErrorAsync(404);
        await (await other.Client.PostAsync($"/api/v1/webhook-event/{eventId}/redeliver", null)).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/organisation/{owner.Id}/webhook-event/failed")).ErrorAsync(404);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task AgentsCannotReadTheDeliveryLog()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync()).Transaction();
        var (agent, _) = await app.CreateUserAsync(merchant.Organisation);
        using var client = app.ClientFor(agent);
        await (await client.GetAsync($"/api/v1/gateway-transaction/webhooks/{t.Id()}")).ErrorAsync(403);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
