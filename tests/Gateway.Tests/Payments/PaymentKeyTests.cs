using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

public sealed class PaymentKeyTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheDocumentedExampleReturnsKeyUrlAndOrigin()
    {
        using var merchant = await app.MerchantAsync();
        var response = await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/payment-key", "amount=1&merchant_reference=testref123");
        var body = await response.JsonAsync(200);
        Assert.Equal(["key", "url", "origin"], body.Keys());
        var key = body.Text("key");
        Assert.Matches("^[0-9a-f]{32}$", key);
        Assert.Equal("http://localhost:7071", body.Text("origin"));
        Assert.Equal($"http://localhost:7071/eft?payment_key={key}", body.Text("url"));

        var card = await (await merchant.Client.PostFormAsync("/api/v1/payment-key",
            ("amount", "1"), ("merchant_reference", "r"), ("payment_type", "credit_card"))).JsonAsync(200);
        Assert.StartsWith("http://localhost:7071/card?payment_key=", card.Text("url"));
        // Nothing paid yet: no transaction for the key.
        await (await merchant.Client.GetAsync($"/api/v1/gateway-transaction/?key={key}")).ErrorAsync(404);
    }

    [Fact]
    public async Task EveryDocumentedParameterIsAccepted()
    {
        using var merchant = await app.MerchantAsync();
        var salt = (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200)).Text("api_salt");
        var hash = Hash("62000000000" + "Acme Ltd" + "cheque" + "FNB" + salt);
        var response = await merchant.Client.PostFormAsync("/api/v1/payment-key",
            ("amount", "150.25"), ("merchant_reference", "order-1"), ("customer_reference", "cust-9"),
            ("success_url", "https://shop.example/ok"), ("error_url", "https://shop.example/err"), ("cancel_url", "https://shop.example/cancel"),
            ("notify_url", "https://203.0.113.10/hook"), ("pending_url", "https://shop.example/pending"), ("payment_type", "eft"),
            ("currency_code", "ZAR"), ("customer_bank", "absa"), ("listed_beneficiary_account[absa]", "value1"),
            ("listed_beneficiary_account[fnb]", "value2"), ("default_beneficiary_reference", "ACC123"),
            ("beneficiary_account_number", "62000000000"), ("beneficiary_name", "Acme Ltd"), ("beneficiary_account_type", "cheque"),
            ("beneficiary_bank", "FNB"), ("hash", hash), ("card_token_3ds", "1"), ("is_authorisation", "0"));
        await response.JsonAsync(200);
    }

    [Fact]
    public async Task ACustomBeneficiaryNeedsTheRightHash()
    {
        using var merchant = await app.MerchantAsync();
        var fields = new[]
        {
            ("amount", "10"), ("merchant_reference", "r"), ("beneficiary_account_number", "62000000000"), ("beneficiary_name", "Mallory"),
            ("beneficiary_account_type", "savings"), ("beneficiary_bank", "ABSA"),
        };
        Assert.Contains("hash", await (await merchant.Client.PostFormAsync("/api/v1/payment-key", fields)).ErrorAsync(400));
        var wrong = await merchant.Client.PostFormAsync("/api/v1/payment-key", [.. fields, ("hash", Hash("62000000000mallorysavingsabsa" + "not-the-salt"))]);
        Assert.Contains("does not match", await wrong.ErrorAsync(400));
        var missing = await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", "10"), ("merchant_reference", "r"), ("beneficiary_account_number", "1"));
        Assert.Contains("beneficiary_name", await missing.ErrorAsync(400));
    }

    [Theory]
    [InlineData("amount", "0")]
    [InlineData("amount", "-1")]
    [InlineData("amount", "1.001")]
    [InlineData("amount", "1e3")]
    [InlineData("amount", "ten")]
    [InlineData("amount", "10000000000.00")]
    [InlineData("success_url", "javascript:alert(1)")]
    [InlineData("notify_url", "/relative")]
    [InlineData("notify_url", "http://169.254.169.254/latest/meta-data")]
    [InlineData("notify_url", "http://10.0.0.5/hook")]
    [InlineData("notify_url", "http://[64:ff9b::a00:1]/hook")]
    [InlineData("notify_url", "http://[::ffff:0:a9fe:a9fe]/")]
    [InlineData("payment_type", "bitcoin")]
    [InlineData("currency_code", "XXX")]
    [InlineData("customer_bank", "Bank of Mars")]
    [InlineData("beneficiary_account_type", "cheque")]
    [InlineData("card_token", "A075A036-A2BF-4557-8206-DB5B035FB5C0")]
    [InlineData("eft_token", "A075A036-A2BF-4557-8206-DB5B035FB5C0")]
    [InlineData("is_authorisation", "maybe")]
    [InlineData("listed_beneficiary_account[mars]", "1")]
    [InlineData("merchant_reference", "")]
    public async Task BadFieldsAre400NamingTheField(string field, string value)
    {
        using var merchant = await app.MerchantAsync();
        var fields = new Dictionary<string, string> { ["amount"] = "10.00", ["merchant_reference"] = "ref", [field] = value };
        var message = await (await merchant.Client.PostFormAsync("/api/v1/payment-key", [.. fields.Select(f => (f.Key, f.Value))])).ErrorAsync(400);
        Assert.Contains(field.Split('[')[0], message);
    }

    [Fact]
    public async Task AmountsAreExactWhetherSentAsTextOrJsonNumbers()
    {
        using var merchant = await app.MerchantAsync();
        var response = await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/pay/direct",
            """{"amount": 19.99, "merchant_reference": "json", "pan": 4242424242424242, "expiry": "1230", "cvv": 123}""", "application/json");
        var t = (await response.JsonAsync(200)).Transaction();
        Assert.Equal("19.99", t.Text("amount"));
        Assert.Equal(1999, t.GetProperty("gateway_response_parameters").GetProperty("amount").GetInt32());
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToLowerInvariant())));
}
