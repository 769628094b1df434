using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cards;

/// <summary><c>POST card-enquiry</c>: the issuer's view of a card in test mode (the simulator) and live mode.</summary>
public sealed class CardEnquiryTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static Task<HttpResponseMessage> EnquireAsync(HttpClient client, string pan, string expiry = "1230", string cvv = "123") =>
        client.PostFormAsync("/api/v1/card-enquiry", ("pan", pan), ("expiry", expiry), ("cvv", cvv));

    [Theory]
    [InlineData(PaymentKit.Approved, true, "Card is valid")]
    [InlineData("4000000000009987", false, "Hot card: reported lost")]
    [InlineData("4000000000009979", false, "Hot card: reported stolen")]
    [InlineData("4100000000000019", false, "Card blocked: suspected fraud")]
    [InlineData("4000000000000069", false, "Card expired at the issuer")]
    [InlineData("4242424242424241", false, "Card number is not valid (wrong length or check digit)")]
    [InlineData("42424242424", false, "Card number is not valid (wrong length or check digit)")]
    public async Task TestModeAsksTheSimulator(string pan, bool valid, string message)
    {
        using var merchant = await app.MerchantAsync();
        var answer = await (await EnquireAsync(merchant.Client, pan)).JsonAsync(200);
        Assert.Equal(["card_valid", "message"], answer.Keys());
        Assert.Equal(valid, answer.GetProperty("card_valid").GetBoolean());
        Assert.Equal(message, answer.Text("message"));
    }

    [Fact]
    public async Task AnExpiryInThePastIsAnInvalidCardNotABadRequest()
    {
        using var merchant = await app.MerchantAsync();
        var answer = await (await EnquireAsync(merchant.Client, PaymentKit.Approved, "0120")).JsonAsync(200);
        Assert.False(answer.GetProperty("card_valid").GetBoolean());
        Assert.Equal("Card has expired (the expiry date is in the past)", answer.Text("message"));
    }

    [Theory]
    [InlineData(PaymentKit.Approved, false, "Card type not accepted (Test Card Number used)")]
    [InlineData("4000000000009987", false, "Card type not accepted (Test Card Number used)")]
    [InlineData("5555555555554444", false, "Card type not accepted (Test Card Number used)")]
    public async Task LiveModeRefusesPublishedTestNumbers(string pan, bool valid, string message)
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var answer = await (await EnquireAsync(merchant.Client, pan)).JsonAsync(200);
        Assert.Equal(valid, answer.GetProperty("card_valid").GetBoolean());
        Assert.Equal(message, answer.Text("message"));
    }

    [Fact]
    public async Task LiveModeAsksNoSimulatorAboutARealNumber()
    {
        using var merchant = await app.MerchantAsync(mode: "live");
        var refused = await EnquireAsync(merchant.Client, "4556737586899855");
        Assert.Contains("acquirer connector", await refused.ErrorAsync(409));
    }

    [Theory]
    [InlineData("pan=&expiry=1230&cvv=123", "pan")]
    [InlineData("expiry=1230&cvv=123", "pan")]
    [InlineData("pan=4242x42424242424&expiry=1230&cvv=123", "pan")]
    [InlineData("pan=4242424242424242&cvv=123", "expiry")]
    [InlineData("pan=4242424242424242&expiry=12/30&cvv=123", "expiry")]
    [InlineData("pan=4242424242424242&expiry=1230", "cvv")]
    [InlineData("pan=4242424242424242&expiry=1230&cvv=abc", "cvv")]
    [InlineData("pan[]=4242424242424242&expiry=1230&cvv=123", "pan")]
    [InlineData("""{"pan": {"number": "4242424242424242"}, "expiry": "1230", "cvv": "123"}""", "pan")]
    [InlineData("""{"pan": "4242424242424242", "expiry": "1230", "cvv": false}""", "cvv")]
    public async Task MissingOrMalformedFieldsAreA400NamingTheField(string body, string field)
    {
        using var merchant = await app.MerchantAsync();
        var response = await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/card-enquiry", body,
            body.StartsWith('{') ? "application/json" : "application/x-www-form-urlencoded");
        Assert.StartsWith(field, await response.ErrorAsync(400));
    }

    [Fact]
    public async Task AnEnquiryNeedsCredentials()
    {
        using var anonymous = app.CreateClient();
        await (await EnquireAsync(anonymous, PaymentKit.Approved)).ErrorAsync(401);
    }
}
