using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Payments;

/// <summary>
/// An app on a moved clock with tables and queue of its own: the sweep works over whole tables, and on this clock
/// every other test's pending challenge and idempotency record would look abandoned.
/// </summary>
public sealed class SweepGatewayApp : GatewayApp
{
    public SweepGatewayApp()
    {
        Clock = new Gateway.Testing.ManualClock(CalendarGatewayApp.Start);
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "sweep" + run;
        Settings["Payments:EventQueue"] = "sweep-" + run;
    }
}

/// <summary>The payment sweep finishes what interrupted requests left: abandoned challenges, refunds in flight, old idempotency records.</summary>
public sealed class PaymentSweepTests(SweepGatewayApp app) : IClassFixture<SweepGatewayApp>
{
    private async Task SweepAsync()
    {
        using var scope = app.Services.CreateScope();
        await ActivatorUtilities.CreateInstance<PaymentSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
    }

    [Fact]
    public async Task AChallengeUnderATestClockIsAbandonedAfterFifteenRealMinutesWhereverTheClockStands()
    {
        var ids = new List<(Merchant Merchant, long Id)>();
        foreach (var clock in new[] { "2001-01-01 00:00:00", "2030-12-31 23:00:00" })
        {
            var merchant = await app.MerchantAsync();
            await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}/test-clock", ("now", clock))).JsonAsync(200);
            var redirect = await merchant.Client.PayAsync(PaymentKit.Challenge, extra: ("return_url", "https://shop.example/back"));
            var id = long.Parse(redirect.Text("gateway_transaction_id"));
            Assert.Equal(clock, (await merchant.Client.ViewAsync(id)).Text("created"));
            ids.Add((merchant, id));
        }
        await SweepAsync();
        foreach (var (merchant, id) in ids) Assert.Equal("pending", (await merchant.Client.ViewAsync(id)).Text("status"));

        app.Clock!.Advance(HostedPayments.ChallengeTime + TimeSpan.FromSeconds(1));
        await SweepAsync();
        foreach (var (merchant, id) in ids)
        {
            Assert.Equal("failed", (await merchant.Client.ViewAsync(id)).Text("status"));
            merchant.Dispose();
        }
    }

    [Fact]
    public async Task AChallengeNobodyAnswersFailsAfterFifteenMinutes()
    {
        using var merchant = await app.MerchantAsync();
        var redirect = await merchant.Client.PayAsync(PaymentKit.Challenge, extra: ("return_url", "https://shop.example/back"));
        var id = long.Parse(redirect.Text("gateway_transaction_id"));
        await SweepAsync();
        Assert.Equal("pending", (await merchant.Client.ViewAsync(id)).Text("status"));

        app.Clock!.Advance(HostedPayments.ChallengeTime + TimeSpan.FromSeconds(1));
        await SweepAsync();
        var failed = await merchant.Client.ViewAsync(id);
        Assert.Equal("failed", failed.Text("status"));
        Assert.Equal("3-D Secure authentication was not completed", failed.Text("reason"));
        Assert.Equal(["pending", "error"], (await app.EventsAsync(merchant.Id, id)).Select(e => e.GetString("Kind")));
    }

    [Fact]
    public async Task ARefundLeftInFlightByACrashIsBookedOnceWithTheAcquirer()
    {
        using var merchant = await app.MerchantAsync();
        var paid = (await merchant.Client.PayAsync(amount: "10.00")).Transaction();
        // A refund request that reserved 4.00 and then died, before asking the acquirer.
        var store = app.Service<PaymentStore>();
        var payments = app.Service<PaymentService>();
        var t = (await store.GetAsync(merchant.Id, paid.Id(), CancellationToken.None))!;
        Assert.NotNull(await payments.TryWriteAsync(t, t.ReserveRefund("crashed", 400, app.Clock!.GetUtcNow()), withEvent: false, [], CancellationToken.None));

        var url = $"/api/v1/gateway-transaction/refund/{paid.Id()}";
        Assert.Contains("6.00 still refundable", await (await merchant.Client.PutFormAsync(url, ("amount", "6.01"))).ErrorAsync(400));
        await SweepAsync(); // too recent: it might still be running
        Assert.Equal("0.00", (await merchant.Client.ViewAsync(paid.Id())).Text("refunded_amount"));

        app.Clock!.Advance(PaymentSweep.RefundGrace + TimeSpan.FromSeconds(1));
        await SweepAsync();
        await SweepAsync();
        var viewed = await merchant.Client.ViewAsync(paid.Id());
        Assert.Equal("partially-refunded", viewed.Text("status"));
        Assert.Equal("4.00", viewed.Text("refunded_amount"));
        Assert.True(await store.HasRefundAsync(merchant.Id, paid.Id(), "crashed", CancellationToken.None));
        await (await merchant.Client.PutAsync(url, null)).JsonAsync(200);
        Assert.Equal("10.00", (await merchant.Client.ViewAsync(paid.Id())).Text("refunded_amount"));
    }

    [Fact]
    public async Task IdempotencyRecordsAreDeletedAfterTheirRetention()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var send = () => merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(reference: "retained")).WithKey(key));
        var first = (await (await send()).JsonAsync(200)).Transaction().Id();

        app.Clock!.Advance(TimeSpan.FromDays(30));
        await SweepAsync();
        Assert.Equal("true", (await send()).Headers.GetValues("Idempotent-Replayed").Single());

        app.Clock.Advance(TimeSpan.FromDays(2));
        await SweepAsync();
        var row = await app.Service<GatewayTables>().Payments.FindAsync($"org-{merchant.Id:D10}", PaymentRows.IdempotencyRow(key));
        Assert.Null(row);
        var later = await send();
        Assert.False(later.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first, (await later.JsonAsync(200)).Transaction().Id());
    }
}
