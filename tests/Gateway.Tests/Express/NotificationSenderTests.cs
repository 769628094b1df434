using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Express;

/// <summary>The HTTP SMS gateway sender against a receiver on loopback, which fails twice before it accepts.</summary>
public sealed class HttpSmsSenderTests(HttpSmsApp app) : IClassFixture<HttpSmsApp>
{
    [Fact]
    public async Task AnSmsIsPostedWithTheBearerTokenAndRetriedUntilTheGatewayAccepts()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.SmsAsync(amount: "42.00", reference: "sms-http");

        await Eventually.HoldsAsync(() => app.Receiver.Received.Any(r => !r.Failed), "the SMS gateway accepts a message");
        var attempts = app.Receiver.Received.ToArray();
        Assert.Equal([true, true, false], attempts.Select(a => a.Failed));
        Assert.All(attempts, a => Assert.Equal($"Bearer {HttpSmsApp.Token}", a.Authorization));
        // Every attempt is the same message.
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        var body = JsonDocument.Parse(attempts[^1].Body).RootElement;
        Assert.Equal(["to", "message", "reference"], body.Keys());
        Assert.Equal("27821112222", body.Text("to"));
        Assert.Contains(created.Text("recipient"), body.Text("message"));
        Assert.Contains("R42.00", body.Text("message"));
        Assert.Equal($"express-{created.Id()}", body.Text("reference"));

        // Sent by the gateway, not kept locally.
        Assert.Empty(await merchant.Client.NotificationsAsync(merchant.Id));
    }
}

/// <summary>An SMS provider that is always down: the message is retried, then kept in the poison queue.</summary>
public sealed class FailingSenderTests(FailingSenderApp app) : IClassFixture<FailingSenderApp>
{
    [Fact]
    public async Task AFailingSenderIsRetriedThenTheMessageIsPoisonedNotLost()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.SmsAsync();

        // Made here so that it can be read before the first message arrives (the listener makes it on first use).
        await app.Poison.CreateIfNotExistsAsync();
        var poisoned = new List<string>();
        await Eventually.HoldsAsync(async () =>
        {
            poisoned = [.. (await app.Poison.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString())];
            return poisoned.Count > 0;
        }, "the message reaches the poison queue");
        var message = JsonDocument.Parse(Assert.Single(poisoned)).RootElement;
        Assert.Equal(created.Id(), message.GetProperty("express_id").GetInt64());
        Assert.Equal(merchant.Id, message.GetProperty("organisation_id").GetInt64());
        Assert.Equal(ExpressApp.MaxDequeueCount, app.Failing.Calls);
        Assert.Empty(await merchant.Client.NotificationsAsync(merchant.Id));
    }
}

/// <summary>Notification settings are checked at start-up.</summary>
public sealed class NotificationOptionsTests
{
    [Theory]
    [InlineData("Notifications:Sms:Provider", "carrier-pigeon")]
    [InlineData("Notifications:Sms:Provider", "http")]
    [InlineData("Notifications:Email:Provider", "smtp")]
    public async Task BadSettingsStopStartUp(string setting, string value) =>
        Assert.Contains("Notifications", (await GatewayApp.StartUpFailureAsync(new() { [setting] = value })).ToString());
}
