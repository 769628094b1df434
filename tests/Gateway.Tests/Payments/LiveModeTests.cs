using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>
/// A live organisation never reaches the simulator: with no acquirer connector configured, every request that
/// would move money is refused before anything is written, and the organisation's view says why.
/// </summary>
public sealed class LiveModeTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task WithoutAConnectorLivePaymentsAreRefusedAndNothingIsBooked()
    {
        using var merchant = await app.MerchantAsync(mode: "live");

        var direct = await merchant.Client.PostFormAsync("/api/v1/pay/direct", ("amount", "10.00"),
            ("merchant_reference", "live"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"));
        Assert.Contains("acquirer connector", await direct.ErrorAsync(409));
        var key = await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", "10.00"),
            ("merchant_reference", "live"));
        Assert.Contains("acquirer connector", await key.ErrorAsync(409));
        var sms = await merchant.Client.PostFormAsync("/api/v1/express/sms", ("amount", "10.00"),
            ("number", "27821112222"));
        Assert.Contains("acquirer connector", await sms.ErrorAsync(409));

        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction"))
            .JsonAsync(200);
        Assert.Equal(0, listed.GetArrayLength());
        var organisation = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("unavailable: no acquirer connector is configured", organisation.Text("live_payments"));
    }

    [Fact]
    public async Task TestModeStillUsesTheSimulatorAndSaysNothingAboutLivePayments()
    {
        using var merchant = await app.MerchantAsync();

        var paid = (await merchant.Client.PayAsync()).Transaction();

        Assert.Equal("Simulator", paid.Text("gateway"));
        var organisation = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.False(organisation.TryGetProperty("live_payments", out _));
    }
}
