using System.Text.Json;
using Gateway.Payments;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Webhooks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Webhooks;

public sealed class WebhookDeliveryTests(WebhookGatewayApp app) : IClassFixture<WebhookGatewayApp>
{
    [Fact]
    public async Task ASuccessfulPaymentIsPostedAsASignedFormWithExactlyTheDocumentedFields()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        var secret = await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/ok")), ("webhook_error_url", receiver.Url("/err")));
        var t = (await merchant.Client.PayAsync(amount: "12.34", reference: "order-7")).Transaction();

        await WebhookKit.UntilAsync(() => receiver.At("/ok").Count == 1, "the success webhook arrives");
        var hook = receiver.At("/ok").Single();
        Assert.Equal("application/x-www-form-urlencoded", hook.ContentType);
        Assert.Equal(WebhookKit.PaymentFields, hook.Fields.Select(f => f.Key));
        Assert.Equal("1", hook.Field("success"));
        Assert.Equal("complete", hook.Field("status"));
        Assert.Equal(merchant.Id.ToString(), hook.Field("organisation_id"));
        Assert.Equal("12.34", hook.Field("amount"));
        Assert.Equal(t.Id().ToString(), hook.Field("callpay_transaction_id"));
        Assert.Equal("order-7", hook.Field("merchant_reference"));
        Assert.Equal(t.Text("gateway_reference"), hook.Field("gateway_reference"));
        Assert.Equal(t.Text("payment_key"), hook.Field("payment_key"));
        Assert.Equal("ZAR", hook.Field("currency"));

        var outbox = (await app.EventsAsync(merchant.Id, t.Id())).Single();
        Assert.Equal(outbox.GetString("EventId"), hook.EventId);
        Assert.Equal("1", hook.Headers["X-Gateway-Sequence"]);
        Assert.InRange(long.Parse(hook.Headers["X-Gateway-Timestamp"]), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(1, WebhookKit.MatchingSignatures(hook, secret));
        Assert.Equal(0, WebhookKit.MatchingSignatures(hook, secret + "x"));

        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "delivered", "the event is marked delivered");
        // (The reset can also beat the status line to the client; such an attempt fails and is retried.)
        var attempt = (await merchant.AttemptsAsync(t.Id())).EnumerateArray().Last();
        Assert.Equal(200, attempt.GetProperty("status_code").GetInt32());
        Assert.Equal(receiver.Url("/ok"), attempt.Text("url"));
        Assert.Equal("answer 1 from /ok", attempt.Text("response_body"));
        Assert.True(attempt.GetProperty("delivered").GetBoolean());
        Assert.Empty(receiver.At("/err"));
    }

    [Fact]
    public async Task AnAnswerCutShortIsLoggedAndJudgedByItsStatus()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url(WebhookReceiver.BrokenPath)));
        var t = (await merchant.Client.PayAsync()).Transaction();

        // The receiver said 200 and then the connection broke mid-body: it has the event, so it is delivered.
        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "delivered", "the event is delivered");
        var attempt = (await merchant.AttemptsAsync(t.Id())).EnumerateArray().Single();
        Assert.Equal(200, attempt.GetProperty("status_code").GetInt32());
        Assert.StartsWith("answer cut short", attempt.Text("error"));
        Assert.True(attempt.GetProperty("delivered").GetBoolean());
    }

    [Fact]
    public async Task DeclinesGoToTheErrorUrlAndRefundsCarryTheRefundVariant()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/ok")), ("webhook_error_url", receiver.Url("/err")),
            ("webhook_refund_url", receiver.Url("/refund")));
        await merchant.Client.PayAsync(pan: "4000000000000002");
        var paid = (await merchant.Client.PayAsync(amount: "10.00")).Transaction();
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{paid.Id()}", ("amount", "4.00"))).JsonAsync(200);

        await WebhookKit.UntilAsync(() => receiver.At("/err").Count == 1 && receiver.At("/refund").Count == 1, "the error and refund webhooks arrive");
        Assert.Equal("0", receiver.At("/err").Single().Field("success"));
        var refund = receiver.At("/refund").Single();
        Assert.Equal(WebhookKit.RefundFields, refund.Fields.Select(f => f.Key));
        Assert.Equal("4.00", refund.Field("refunded_amount"));
        Assert.Equal("2", refund.Headers["X-Gateway-Sequence"]);
    }

    [Fact]
    public async Task APaymentsOwnNotifyUrlOverridesTheOrganisationsUrl()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/ok")));
        await merchant.Client.PayAsync(extra: ("notify_url", receiver.Url("/mine")));

        await WebhookKit.UntilAsync(() => receiver.At("/mine").Count == 1, "the webhook arrives at the payment's notify_url");
        Assert.Empty(receiver.At("/ok"));
    }

    [Fact]
    public async Task AReceiverThatFailsThenRecoversGetsTheEventWithTheSameIdAndEveryAttemptIsLogged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = (_, n) => n == 1 ? 500 : 200;
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var t = (await merchant.Client.PayAsync()).Transaction();

        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "delivered", "the second attempt delivers");
        Assert.Equal(2, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.EventId).Distinct());
        var attempts = (await merchant.AttemptsAsync(t.Id())).EnumerateArray().ToList();
        Assert.Equal([500, 200], attempts.Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.Equal([1, 2], attempts.Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.All(attempts, a => Assert.True(a.GetProperty("latency_ms").GetInt64() >= 0));
    }

    [Fact]
    public async Task RedirectsAreNotFollowedAndExhaustedRetriesEndFailed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = (_, _) => 302;
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var t = (await merchant.Client.PayAsync()).Transaction();

        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "failed", "the event fails after its last attempt");
        // Three attempts (the test schedule has two retries), none of them following the redirect.
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Empty(receiver.At("/elsewhere"));
        var attempts = (await merchant.AttemptsAsync(t.Id())).EnumerateArray().ToList();
        Assert.Equal([302, 302, 302], attempts.Select(a => a.GetProperty("status_code").GetInt32()));

        var failed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/webhook-event/failed")).JsonAsync(200);
        var only = failed.EnumerateArray().Single();
        Assert.Equal(receiver.Requests.First().EventId, only.Text("event_id"));
        Assert.Equal("failed", only.Text("delivery"));
        Assert.Equal(3, only.GetProperty("attempts").GetArrayLength());
    }

    [Fact]
    public async Task AnEventWithNoUrlIsSkippedAndARepeatedMessageForADeliveredEventPostsNothing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        var skipped = (await merchant.Client.PayAsync()).Transaction();
        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, skipped.Id()) == "skipped", "an event with nowhere to go is skipped");

        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var t = (await merchant.Client.PayAsync()).Transaction();
        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "delivered", "the event is delivered");

        // The queue delivers at least once: the same message again is absorbed by the delivered mark.
        var row = await app.Service<PaymentStore>().LatestEventAsync(merchant.Id, t.Id(), CancellationToken.None);
        using (var scope = app.Services.CreateScope())
        {
            var duplicate = WebhookMessage.For(row!).ToJson();
            await ActivatorUtilities.CreateInstance<WebhookDelivery>(scope.ServiceProvider).Run(duplicate, CancellationToken.None);
        }
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task TheSweepEnqueuesAnEventWhoseEnqueueWasLost()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var t = (await merchant.Client.PayAsync()).Transaction();
        await WebhookKit.UntilAsync(() => receiver.Requests.Count == 1, "the first event arrives");

        // The crash: an event committed with its change, then the process died before the enqueue.
        var stored = await app.Service<PaymentStore>().GetAsync(merchant.Id, t.Id(), CancellationToken.None);
        var lost = PaymentEvent.For(stored!) with { Sequence = 7 };
        var written = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(11);
        Assert.True(await app.Service<PaymentStore>().CommitAsync([PaymentStore.EventInsert(lost, written, null)], CancellationToken.None));

        using (var scope = app.Services.CreateScope())
        {
            await ActivatorUtilities.CreateInstance<WebhookSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
        }
        await WebhookKit.UntilAsync(() => receiver.Requests.Any(r => r.EventId == lost.EventId), "the swept event arrives");
        Assert.Equal("7", receiver.Requests.Single(r => r.EventId == lost.EventId).Headers["X-Gateway-Sequence"]);
        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id(), index: 1) == "delivered", "the swept event is marked delivered");
    }

    [Fact]
    public async Task DuringARotationBothSecretsSignAndTheNewOneIsShown()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        var old = await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url()));
        var rotated = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[webhook_secret_rotate]", "1"))).JsonAsync(200);
        var current = rotated.Text("webhook_secret");
        Assert.NotEqual(old, current);
        Assert.StartsWith("whsec_", current);
        Assert.Equal(old, rotated.Text("webhook_previous_secret"));

        await merchant.Client.PayAsync();
        await WebhookKit.UntilAsync(() => receiver.Requests.Count == 1, "the webhook arrives");
        var hook = receiver.Requests.Single();
        Assert.Equal(1, WebhookKit.MatchingSignatures(hook, current));
        Assert.Equal(1, WebhookKit.MatchingSignatures(hook, old));
        Assert.Equal(2, hook.Headers["X-Gateway-Signature"].Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
    }

    [Fact]
    public void AfterTheOverlapOnlyTheNewSecretSigns()
    {
        var now = DateTimeOffset.UtcNow;
        var settings = Gateway.Identity.WebhookSettings.None with { Secret = "new", PreviousSecret = "old", PreviousSecretUntil = now.AddHours(1) };
        Assert.Equal(["new", "old"], settings.SigningSecrets(now));
        Assert.Equal(["new"], settings.SigningSecrets(now.AddHours(1)));
        var header = WebhookDelivery.Signature(1700000000, "evt", 1, "a=1", settings.SigningSecrets(now.AddHours(2)));
        Assert.Equal(2, header.Split(',').Length);
        Assert.StartsWith("t=1700000000,v1=", header);
    }

    [Fact]
    public async Task AHostThatResolvesToAMetadataAddressAtDeliveryTimeIsRefusedWithoutAConnection()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.MerchantAsync();
        var port = new Uri(receiver.Url()).Port;
        var host = $"rebind-{Guid.NewGuid():N}.test";
        app.Hosts[host] = [System.Net.IPAddress.Loopback];
        await merchant.SetWebhooksAsync(("webhook_success_url", $"http://{host}:{port}/hook"));
        // DNS rebinding: the name passed the check, then points at the metadata service.
        app.Hosts[host] = [System.Net.IPAddress.Parse("169.254.169.254")];
        var t = (await merchant.Client.PayAsync()).Transaction();

        await WebhookKit.UntilAsync(async () => await app.DeliveryAsync(merchant.Id, t.Id()) == "failed", "every attempt is refused");
        Assert.Empty(receiver.Requests);
        var attempts = (await merchant.AttemptsAsync(t.Id())).EnumerateArray().ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Contains("169.254.169.254", a.Text("error")));
        Assert.All(attempts, a => Assert.Equal(JsonValueKind.Null, a.GetProperty("status_code").ValueKind));
    }
}
