using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>Payment keys are paid at most once, expire, and survive abandoned attempts; idempotency holds lapse after a crash.</summary>
public sealed class PaymentKeyUseTests(CalendarGatewayApp app) : IClassFixture<CalendarGatewayApp>
{
    private static CardDetails Card(string number = PaymentKit.Approved) => new(number, 12, 2030, "123", null);

    private async Task<string> KeyAsync(Merchant merchant, string amount = "12.00") =>
        (await (await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", amount), ("merchant_reference", "key-use"),
            ("success_url", "https://shop.example/ok"), ("error_url", "https://shop.example/err"))).JsonAsync(200)).Text("key");

    [Fact]
    public async Task ConcurrentAttemptsPayAKeyOnce()
    {
        using var merchant = await app.MerchantAsync();
        var key = await KeyAsync(merchant);
        var hosted = app.Service<HostedPayments>();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                return (await hosted.PayByCardAsync(key, Card(), rememberCard: false, CancellationToken.None)).Transaction.Status;
            }
            catch (ApiException e) when (e.Status == 409)
            {
                return "refused";
            }
        }));
        Assert.Single(attempts, s => s == "complete");
        Assert.All(attempts.Where(s => s != "complete"), s => Assert.Equal("refused", s));
        var paid = await (await merchant.Client.GetAsync($"/api/v1/gateway-transaction/?key={key}")).JsonAsync(200);
        Assert.Equal("12.00", paid.Text("amount"));
        var error = await Assert.ThrowsAsync<ApiException>(() => hosted.PayByCardAsync(key, Card(), false, CancellationToken.None));
        Assert.Equal(409, error.Status);
    }

    [Fact]
    public async Task ADeclineLeavesTheKeyOpenForAnotherCard()
    {
        using var merchant = await app.MerchantAsync();
        var key = await KeyAsync(merchant);
        var hosted = app.Service<HostedPayments>();
        var declined = await hosted.PayByCardAsync(key, Card("4000000000000002"), false, CancellationToken.None);
        Assert.StartsWith("https://shop.example/err?", declined.RedirectUrl);
        var approved = await hosted.PayByCardAsync(key, Card(), false, CancellationToken.None);
        Assert.StartsWith("https://shop.example/ok?", approved.RedirectUrl);
        Assert.Equal(approved.Transaction.Id, (await (await merchant.Client.GetAsync($"/api/v1/gateway-transaction/?key={key}")).JsonAsync(200)).Id());
    }

    [Fact]
    public async Task AnAbandonedChallengeFailsWhenTheKeyIsTriedAgainLater()
    {
        using var merchant = await app.MerchantAsync();
        var key = await KeyAsync(merchant);
        var hosted = app.Service<HostedPayments>();
        var challenged = await hosted.PayByCardAsync(key, Card(PaymentKit.Challenge), false, CancellationToken.None);
        Assert.Equal("pending", challenged.Transaction.Status);
        Assert.Contains("/gatewaytransactions/3ds/", challenged.RedirectUrl);
        Assert.Equal(409, (await Assert.ThrowsAsync<ApiException>(() => hosted.PayByCardAsync(key, Card(), false, CancellationToken.None))).Status);

        app.Clock!.Advance(HostedPayments.ChallengeTime + TimeSpan.FromSeconds(1));
        var paid = await hosted.PayByCardAsync(key, Card(), false, CancellationToken.None);
        Assert.Equal("complete", paid.Transaction.Status);
        var abandoned = await merchant.Client.ViewAsync(challenged.Transaction.Id);
        Assert.Equal("failed", abandoned.Text("status"));
        Assert.Equal("3-D Secure authentication was not completed", abandoned.Text("reason"));
    }

    [Fact]
    public async Task AKeyExpiresAfterItsLifetime()
    {
        using var merchant = await app.MerchantAsync();
        var key = await KeyAsync(merchant);
        app.Clock!.Advance(TimeSpan.FromHours(24));
        var error = await Assert.ThrowsAsync<ApiException>(() => app.Service<HostedPayments>().PayByCardAsync(key, Card(), false, CancellationToken.None));
        Assert.Equal(410, error.Status);
    }

    [Fact]
    public async Task AHoldLeftByACrashedRequestLapsesAndItsRetryReusesTheReservedId()
    {
        using var merchant = await app.MerchantAsync();
        var body = PaymentKit.Card(reference: "crash");
        // A finished request gives the fingerprint of this body; a crashed one left a running hold on another key.
        await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", body).WithKey("finished"))).JsonAsync(200);
        var tables = app.Service<GatewayTables>();
        // Card payments keep a key's record in the shard it hashes to among the organisation's eight partitions.
        var finished = await tables.Payments.FindAsync(PaymentRows.ShardPartition(merchant.Id, IdempotencyPlace.KeyShard("finished", 8)),
            PaymentRows.IdempotencyRow("finished"));
        var shard = IdempotencyPlace.KeyShard("crashed", 8);
        var reserved = PaymentRows.NewTransactionId(
            await app.Service<IdAllocator>().NextAsync(PaymentService.TransactionSequence, CancellationToken.None), shard);
        var now = app.Clock!.GetUtcNow();
        await tables.Payments.AddEntityAsync(new TableEntity(PaymentRows.ShardPartition(merchant.Id, shard), PaymentRows.IdempotencyRow("crashed"))
        {
            ["State"] = "running", ["Fingerprint"] = finished!.GetString("Fingerprint"), ["LeaseUntil"] = now + TimeSpan.FromMinutes(5),
            ["Expires"] = now + TimeSpan.FromDays(31), ["ReservedId"] = reserved,
        });

        var retry = () => merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", body).WithKey("crashed"));
        await (await retry()).ErrorAsync(409);
        app.Clock.Advance(new PaymentOptions().IdempotencyLease + TimeSpan.FromSeconds(1));
        var response = await retry();
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(reserved, (await response.JsonAsync(200)).Transaction().Id());
        Assert.Equal("true", (await retry()).Headers.GetValues("Idempotent-Replayed").Single());
    }
}
