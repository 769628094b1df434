using System.Text.Json;
using Gateway.Payments;
using Gateway.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Payments;

/// <summary>A live acquirer that is down (its calls time out) until the test lets it answer.</summary>
public sealed class FlakyLiveAcquirer : IAcquirer
{
    private readonly SimulatedAcquirer _inner = new();

    public bool Down { get; set; } = true;

    public int Calls;

    /// <summary>The idempotency keys of card charges, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ChargeKeys { get; } = new();

    /// <summary>The idempotency keys and amounts of captures, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Key, long Amount)> Captures { get; } = new();

    public string Name => "Live";

    public Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        ChargeKeys.Enqueue(charge.IdempotencyKey);
        return Answer(() => _inner.ChargeCardAsync(charge, cancellationToken));
    }

    public Task<AcquirerResult> CompleteChallengeAsync(string reference, bool passed, CancellationToken cancellationToken) =>
        Answer(() => _inner.CompleteChallengeAsync(reference, passed, cancellationToken));

    public Task<AcquirerResult> CaptureAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken)
    {
        Captures.Enqueue((idempotencyKey, amountMinor));
        return Answer(() => _inner.CaptureAsync(reference, amountMinor, idempotencyKey, cancellationToken));
    }

    public Task<AcquirerResult> VoidAsync(string reference, string idempotencyKey, CancellationToken cancellationToken) =>
        Answer(() => _inner.VoidAsync(reference, idempotencyKey, cancellationToken));

    public Task<AcquirerResult> RefundAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) =>
        Answer(() => _inner.RefundAsync(reference, amountMinor, idempotencyKey, cancellationToken));

    public Task<AcquirerResult> ChargeEftAsync(EftCharge charge, CancellationToken cancellationToken) =>
        Answer(() => _inner.ChargeEftAsync(charge, cancellationToken));

    public Task<CardEnquiry> EnquireCardAsync(CardDetails card, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        return Down ? throw new AcquirerUnavailableException("timed out") : _inner.EnquireCardAsync(card, cancellationToken);
    }

    private Task<AcquirerResult> Answer(Func<Task<AcquirerResult>> call)
    {
        Interlocked.Increment(ref Calls);
        return Down ? throw new AcquirerUnavailableException("timed out") : call();
    }
}

/// <summary>
/// Live organisations on a flaky acquirer, on a clock the tests move, with tables and queue of its own (its tests
/// run the sweep, which works over whole tables).
/// </summary>
public sealed class LiveAcquirerGatewayApp : GatewayApp
{
    public LiveAcquirerGatewayApp()
    {
        Clock = new Gateway.Testing.ManualClock(CalendarGatewayApp.Start);
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "live" + run;
        Settings["Payments:EventQueue"] = "live-" + run;
    }

    public FlakyLiveAcquirer Live { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IAcquirer>(Live);
}

public sealed class OutboxAndAcquirerTests(LiveAcquirerGatewayApp app) : IClassFixture<LiveAcquirerGatewayApp>
{
    [Fact]
    public async Task EveryStatusChangeIsAnOutboxEventAndAQueueMessage()
    {
        using var merchant = await app.MerchantAsync();
        app.Live.Down = false;
        var auth = (await merchant.Client.PayAsync(path: "auth", extra: ("notify_url", "https://203.0.113.10/hook"))).Transaction();
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()), ("amount", "8.00"))).JsonAsync(200);
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", ("amount", "3.00"))).JsonAsync(200);

        var events = await app.EventsAsync(merchant.Id, auth.Id());
        Assert.Equal(["authorised", "complete", "partially-refunded"], events.Select(e => e.GetString("Status")));
        Assert.Equal(["success", "success", "refund"], events.Select(e => e.GetString("Kind")));
        Assert.All(events, e => Assert.Equal("https://203.0.113.10/hook", e.GetString("NotifyUrl")));
        var payload = JsonDocument.Parse(events[1].GetString("Payload")!).RootElement;
        Assert.Equal(["success", "status", "organisation_id", "amount", "callpay_transaction_id", "reason", "user", "merchant_reference",
            "gateway_reference", "gateway_response", "currency", "payment_key"], payload.Keys());
        Assert.Equal("8.00", payload.Text("amount"));
        Assert.Equal(auth.Id(), payload.GetProperty("callpay_transaction_id").GetInt64());

        // Each event is on the delivery queue, naming it by id and sequence.
        var queue = app.Service<PaymentEvents>().Queue;
        var ids = events.Select(e => e.GetString("EventId")).ToHashSet();
        var found = new HashSet<string>();
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var message in (await queue.PeekMessagesAsync(32)).Value)
            {
                var body = JsonDocument.Parse(message.Body.ToString()).RootElement;
                if (ids.Contains(body.Text("event_id"))) found.Add(body.Text("event_id"));
            }
            return found.Count == ids.Count;
        }, "every event is enqueued", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TestModeOrganisationsNeverReachTheLiveAcquirer()
    {
        using var merchant = await app.MerchantAsync(mode: "test");
        app.Live.Down = true;
        var before = app.Live.Calls;
        var t = (await merchant.Client.PayAsync()).Transaction();
        Assert.Equal("Simulator", t.Text("gateway"));
        Assert.Equal(1, t.GetProperty("is_demo_transaction").GetInt32());
        Assert.Equal(before, app.Live.Calls);
    }

    [Fact]
    public async Task WithAConnectorALiveOrganisationsPaymentsAreAvailableAndGoToIt()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var organisation = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("available", organisation.Text("live_payments"));
        var paid = (await merchant.Client.PayAsync(reference: "connector")).Transaction();
        Assert.Equal(app.Live.Name, paid.Text("gateway"));
    }

    [Fact]
    public async Task AnAcquirerTimeoutIsA502AndTheRetryWithTheSameKeyCompletesOnce()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        app.Live.Down = true;
        var key = Guid.NewGuid().ToString();
        var request = () => PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(reference: "live-1")).WithKey(key);
        Assert.Contains("outcome is unknown", await (await merchant.Client.SendAsync(request())).ErrorAsync(502));
        Assert.Equal("[]", await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).Content.ReadAsStringAsync());

        app.Live.Down = false;
        var t = (await (await merchant.Client.SendAsync(request())).JsonAsync(200)).Transaction();
        Assert.Equal("Live", t.Text("gateway"));
        // The retry is the same payment to the acquirer: the same idempotency key as the attempt it could not answer.
        Assert.Equal($"txn-{t.Id()}", app.Live.ChargeKeys.ToArray()[^2]);
        Assert.Equal($"txn-{t.Id()}", app.Live.ChargeKeys.ToArray()[^1]);
        Assert.Equal(0, t.GetProperty("is_demo_transaction").GetInt32());
        var replay = await merchant.Client.SendAsync(request());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task ARefundTheAcquirerCannotAnswerStaysReservedUntilItsRetryAsksAgain()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        app.Live.Down = false;
        var t = (await merchant.Client.PayAsync(amount: "5.00")).Transaction();
        var url = $"/api/v1/gateway-transaction/refund/{t.Id()}";
        var key = Guid.NewGuid().ToString();
        app.Live.Down = true;
        await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url).WithKey(key))).ErrorAsync(502);

        // The outcome is unknown, so the amount stays reserved: nothing else can be refunded meanwhile.
        app.Live.Down = false;
        Assert.Contains("nothing left", await (await merchant.Client.PutAsync(url, null)).ErrorAsync(409));
        await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url).WithKey(key))).JsonAsync(200);
        var viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("refunded", viewed.Text("status"));
        Assert.Equal("5.00", viewed.Text("refunded_amount"));
        var replay = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url).WithKey(key));
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task ASettleTheAcquirerCannotAnswerBlocksOtherChangesAndIsBookedAtItsOwnAmount()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        app.Live.Down = false;
        var auth = (await merchant.Client.PayAsync(amount: "10.00", path: "auth")).Transaction();
        var id = auth.Id().ToString();
        var key = Guid.NewGuid().ToString();
        var settle = () => merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, "/api/v1/pay/settle", ("gateway_transaction_id", id), ("amount", "4.00")).WithKey(key));

        app.Live.Down = true;
        await (await settle()).ErrorAsync(502);
        app.Live.Down = false;
        // Another change must wait until the acquirer's answer about this one is known.
        Assert.Contains("in progress", await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", id), ("amount", "3.00"))).ErrorAsync(409));
        await (await merchant.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_transaction_id", id))).ErrorAsync(409);

        var settled = await (await settle()).JsonAsync(200);
        Assert.Equal("4.00", settled.Transaction().Text("amount"));
        var captures = app.Live.Captures.ToArray()[^2..];
        Assert.Equal(captures[0], captures[1]); // the retry asked again under the same key, for the same amount
        Assert.Equal(400, captures[1].Amount);
    }

    [Fact]
    public async Task TheSweepFinishesChangesAndHostedPaymentsLeftUnconfirmed()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        app.Live.Down = false;
        var auth = (await merchant.Client.PayAsync(amount: "10.00", path: "auth")).Transaction();
        var paymentKey = (await (await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", "7.00"), ("merchant_reference", "hosted"))).JsonAsync(200)).Text("key");
        var hosted = app.Service<HostedPayments>();
        var card = new CardDetails(PaymentKit.Approved, 12, 2030, "123", null);

        app.Live.Down = true;
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()), ("amount", "6.00"))).ErrorAsync(502);
        Assert.Equal(502, (await Assert.ThrowsAsync<Gateway.Api.ApiException>(() => hosted.PayByCardAsync(paymentKey, card, false, CancellationToken.None))).Status);
        var unanswered = app.Live.ChargeKeys.Last();
        // The key stays held while the outcome is unknown.
        Assert.Equal(409, (await Assert.ThrowsAsync<Gateway.Api.ApiException>(() => hosted.PayByCardAsync(paymentKey, card, false, CancellationToken.None))).Status);

        app.Live.Down = false;
        app.Clock!.Advance(PaymentSweep.RefundGrace + TimeSpan.FromSeconds(1));
        using (var scope = app.Services.CreateScope())
        {
            await ActivatorUtilities.CreateInstance<PaymentSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
        }
        var settled = await merchant.Client.ViewAsync(auth.Id());
        Assert.Equal("complete", settled.Text("status"));
        Assert.Equal("6.00", settled.Text("amount"));

        // The next attempt on the key is the same payment to the acquirer.
        var paid = await hosted.PayByCardAsync(paymentKey, card, false, CancellationToken.None);
        Assert.Equal(unanswered, app.Live.ChargeKeys.Last());
        Assert.Equal($"txn-{paid.Transaction.Id}", unanswered);
    }
}
