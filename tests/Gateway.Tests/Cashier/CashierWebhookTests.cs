using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Webhooks;
using Gateway.Webhooks;

namespace Gateway.Tests.Cashier;

/// <summary>
/// The cashier's webhooks: each status change POSTs the document's JSON to the cashier webhook URL, signed with
/// x-signature over exactly the body sent, through the same outbox, retries, log and redelivery as payments'.
/// </summary>
public sealed class CashierWebhookTests(CashierGatewayApp app) : IClassFixture<CashierGatewayApp>
{
    private static readonly string[] Fields =
        ["transaction_id", "user_id", "tracking_id", "status", "currency", "amount", "transaction_type"];

    [Fact]
    public async Task APayoutsRequestAndOutcomeArePostedAsSignedJsonInTheDocumentsShape()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.CashierMerchantAsync();
        await merchant.Merchant.SetWebhooksAsync(("cashier_webhook_url", receiver.Url("/cashier")));
        var password = await PasswordAsync(merchant);
        var tracking = Guid.NewGuid().ToString();

        var id = await merchant.RequestPayoutAsync(app,
            body: CashierKit.Body(tracking, currency: "EUR", amount: "200.00"));
        await WebhookKit.UntilAsync(() => receiver.At("/cashier").Count == 1, "the payout request's webhook");
        await (await merchant.DecideAsync("approve", id)).JsonAsync(200);
        await app.RunCashierAsync();
        await WebhookKit.UntilAsync(() => receiver.At("/cashier").Count == 2, "the payout's outcome webhook");

        var hooks = receiver.At("/cashier");
        Assert.Equal(["pending", "successful"], hooks.Select(h => Payload(h).GetProperty("status").GetString()));
        foreach (var hook in hooks)
        {
            Assert.Equal("application/json", hook.ContentType);
            Assert.Equal(Fields, Payload(hook).EnumerateObject().Select(p => p.Name));
            Assert.Equal(CashierSignature.Of(hook.Body, password), hook.Headers["x-signature"]);
            Assert.Matches("^[0-9A-F]{40}$", hook.Headers["x-signature"]);
        }
        var last = hooks[^1];
        Assert.Equal(
            $$"""{"transaction_id":"{{id}}","user_id":"128","tracking_id":"{{tracking}}","status":"successful","currency":"EUR","amount":"200.00","transaction_type":"withdrawal"}""",
            last.Body);
    }

    [Fact]
    public async Task ADepositsOutcomeIsPostedAndAFailedDeliveryCanBeRedelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = (_, n) => n <= 3 ? 500 : 200;
        using var merchant = await app.CashierMerchantAsync();
        await merchant.Merchant.SetWebhooksAsync(("cashier_webhook_url", receiver.Url("/cashier")));

        var declined = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined))).JsonAsync(200);
        var failed = JsonDocument.Parse("[]").RootElement;
        await WebhookKit.UntilAsync(async () =>
        {
            failed = await (await merchant.Merchant.Client.GetAsync(
                $"/api/v1/organisation/{merchant.Id}/webhook-event/failed")).JsonAsync(200);
            return failed.GetArrayLength() == 1;
        }, "the deposit's webhook to fail after its three attempts");
        var failedEvent = failed[0];
        Assert.Equal("cashier", failedEvent.Text("kind"));
        Assert.Equal("rejected", failedEvent.Text("status"));
        Assert.Equal(3, failedEvent.GetProperty("attempts").GetArrayLength());

        await (await merchant.Merchant.Client.PostAsync(
            $"/api/v1/webhook-event/{failedEvent.Text("event_id")}/redeliver", null)).JsonAsync(202);
        await WebhookKit.UntilAsync(() => receiver.At("/cashier").Count == 4, "the redelivery");
        var hooks = receiver.At("/cashier");
        Assert.Single(hooks.Select(h => h.Body).Distinct());
        var payload = Payload(hooks[^1]);
        Assert.Equal(declined.Text("transaction_id"), payload.GetProperty("transaction_id").GetString());
        Assert.Equal(("rejected", "deposit", "10.05", "ZAR"), (payload.GetProperty("status").GetString(),
            payload.GetProperty("transaction_type").GetString(), payload.GetProperty("amount").GetString(),
            payload.GetProperty("currency").GetString()));
    }

    [Fact]
    public async Task WithoutACashierUrlNothingIsPostedAndPaymentUrlsGetNoCashierEvents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.CashierMerchantAsync();
        await merchant.Merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/success")),
            ("webhook_error_url", receiver.Url("/error")));
        await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined))).JsonAsync(200);
        // A payment afterwards is delivered, so the cashier event before it had its chance to go astray.
        await merchant.Merchant.Client.PayAsync();
        await WebhookKit.UntilAsync(() => receiver.At("/success").Count == 1, "the payment's webhook");
        Assert.Empty(receiver.At("/error"));
        Assert.Single(receiver.Requests);
    }

    private static JsonElement Payload(ReceivedWebhook hook) => JsonDocument.Parse(hook.Body).RootElement;

    private static async Task<string> PasswordAsync(CashierMerchant merchant) =>
        (await (await merchant.Merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200))
            .Text("signature_password");
}
