using System.Net;
using Gateway.Payments;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Platform;

/// <summary>The gateway with faults injected into its storage calls through the Azure SDK's pipeline.</summary>
public sealed class FaultyStorageApp : GatewayApp
{
    public FaultyStorageApp()
    {
        Settings["Storage:Retry:AttemptTimeout"] = "00:00:02";
        Settings["Storage:Retry:OperationTimeout"] = "00:00:05";
    }

    public StorageFaultPolicy Faults { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => Faults.AddTo(services);
}

/// <summary>
/// What storage faults do to requests. A fault that clears within the retries is invisible to the merchant; one
/// that lasts is a 503 with nothing half-written, and the retry after it lands exactly once.
/// </summary>
public sealed class StorageFaultTests(FaultyStorageApp app) : IClassFixture<FaultyStorageApp>, IDisposable
{
    public void Dispose() => app.Faults.Clear();

    [Theory]
    [InlineData(StorageFault.ServerBusy)]
    [InlineData(StorageFault.OperationTimedOut)]
    [InlineData(StorageFault.Refuse)]
    [InlineData(StorageFault.Hang)]
    [InlineData(StorageFault.LoseAnswer)]
    public async Task AFaultThatClearsWithinTheRetriesIsInvisibleAndThePaymentIsWrittenOnce(StorageFault fault)
    {
        using var merchant = await app.MerchantAsync();
        var reference = "brief-" + (int)fault;

        app.Faults.Next(fault, "POST", "$batch", count: 2);
        var paid = (await merchant.Client.PayAsync(reference: reference)).Transaction();

        Assert.Equal(0, app.Faults.Remaining);
        Assert.Equal("complete", paid.Text("status"));
        Assert.Equal([paid.Id()], await ListedAsync(merchant, reference));
        Assert.Single(await app.EventsAsync(merchant.Id, paid.Id()));
    }

    [Theory]
    [InlineData(StorageFault.ServerBusy)]
    [InlineData(StorageFault.Refuse)]
    [InlineData(StorageFault.Hang)]
    public async Task ACommitThatStorageNeverTakesIsA503AndLeavesNothingBehind(StorageFault fault)
    {
        using var merchant = await app.MerchantAsync();
        var reference = "lasting-" + (int)fault;

        app.Faults.Always(fault, r => StorageFaultPolicy.Matches(r, "POST", "$batch"));
        var response = await merchant.Client.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card(reference: reference));
        app.Faults.Clear();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("briefly unavailable", await response.ErrorAsync(503));
        Assert.Empty(await ListedAsync(merchant, reference));
        // Nothing was taken, so the same payment can simply be made again, once.
        var paid = (await merchant.Client.PayAsync(reference: reference)).Transaction();
        Assert.Equal([paid.Id()], await ListedAsync(merchant, reference));
    }

    [Fact]
    public async Task AnIdempotentRetryAfterAnOutageMidPaymentRepliesWithTheOnePaymentMade()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var send = () => merchant.Client.SendAsync(
            PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(reference: "idem-outage")).WithKey(key));

        // The commit (transaction, event and kept response together) lands, then storage stops answering: the
        // merchant sees a 503, and the retry replays the payment that was made rather than making another.
        var before = app.Faults.Injected;
        app.Faults.Next(StorageFault.LoseAnswer, "POST", "$batch");
        app.Faults.Always(StorageFault.Refuse, _ => app.Faults.Injected > before);
        await (await send()).ErrorAsync(503);
        app.Faults.Clear();

        var retry = await send();
        Assert.Equal("true", retry.Headers.GetValues(Idempotency.ReplayedHeader).Single());
        var id = (await retry.JsonAsync(200)).Transaction().Id();
        Assert.Equal([id], await ListedAsync(merchant, "idem-outage"));
    }

    /// <summary>Ids of the merchant's transactions with this reference.</summary>
    private static async Task<long[]> ListedAsync(Merchant merchant, string reference)
    {
        var all = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200);
        return [.. all.EnumerateArray().Where(t => t.Text("merchant_reference") == reference).Select(t => t.Id())];
    }
}
