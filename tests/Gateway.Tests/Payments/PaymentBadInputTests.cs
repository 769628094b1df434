using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>
/// Every payment endpoint that reads a body, fed what careless or hostile clients send: a 4xx in the error shape
/// naming the field, never a 500, and no transaction or event written.
/// </summary>
public sealed class PaymentBadInputTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    public static TheoryData<string, string> BodyEndpoints => new()
    {
        { "POST", "/api/v1/payment-key" },
        { "POST", "/api/v1/pay/direct" },
        { "POST", "/api/v1/pay/auth" },
        { "PUT", "/api/v1/pay/settle" },
        { "PUT", "/api/v1/pay/reverse" },
        { "PUT", "/api/v1/gateway-transaction/refund/{id}" },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task MalformedBodiesAre4xxAndWriteNothing(string method, string path)
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(path: "auth")).Transaction();
        var sale = (await merchant.Client.PayAsync()).Transaction();
        var url = path.Replace("{id}", sale.Id().ToString());
        var before = await SnapshotAsync(merchant);

        foreach (var json in new[] { "{\"amount\":", "[]", "null", "{\"amount\": {\"x\": 1}}", "{\"amount\": true}", "{\"a\":1,\"A\":2}", "{\"amount\": [1, 2]}" })
        {
            await (await Send(merchant.Client, method, url, json, "application/json")).ErrorAsync(400);
        }
        // Bad values go in the fields each endpoint reads (unknown fields are ignored, as by most APIs).
        foreach (var form in new[] { "amount=1&amount[x]=2", "amount[=1", "amount=%C0%AF", "amount=%00", "amount=a%E2%80%AEb&gateway_reference=a%E2%80%AEb" })
        {
            await (await Send(merchant.Client, method, url, form + "&gateway_transaction_id=" + auth.Id(), "application/x-www-form-urlencoded")).ErrorAsync(400);
        }
        await (await Send(merchant.Client, method, url, "amount=1", "text/plain")).ErrorAsync(415);
        await (await Send(merchant.Client, method, url, "amount=" + new string('1', 3 * 1024 * 1024), "application/x-www-form-urlencoded")).ErrorAsync(413);
        Assert.Equal(before, await SnapshotAsync(merchant));
    }

    [Theory]
    [InlineData("pan", "4242424242424241", "pan")]
    [InlineData("pan", "4242", "pan")]
    [InlineData("pan", "42424242424242abc", "pan")]
    [InlineData("expiry", "0120", "expired")]
    [InlineData("expiry", "1330", "MMYY")]
    [InlineData("expiry", "12/30", "MMYY")]
    [InlineData("cvv", "12", "cvv")]
    [InlineData("cvv", "12345", "cvv")]
    [InlineData("cvv", "12a", "cvv")]
    [InlineData("amount", "0.00", "amount")]
    [InlineData("amount", "1.234", "amount")]
    [InlineData("merchant_reference", "123456789012345678901", "merchant_reference")]
    [InlineData("return_url", "ftp://x.example", "return_url")]
    [InlineData("first_name", "abcdefghijklmnopqrstu", "first_name")]
    public async Task CardFieldsAreValidated(string field, string value, string mentioned)
    {
        using var merchant = await app.MerchantAsync();
        var fields = PaymentKit.Card().ToDictionary(f => f.Item1, f => f.Item2);
        fields[field] = value;
        foreach (var path in new[] { "direct", "auth" })
        {
            var message = await (await merchant.Client.PostFormAsync($"/api/v1/pay/{path}", [.. fields.Select(f => (f.Key, f.Value))])).ErrorAsync(400);
            Assert.Contains(mentioned, message);
            Assert.DoesNotContain(fields["pan"], message, StringComparison.Ordinal); // never echoes a card number
        }
        Assert.Equal("[]", await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AFourDigitCvvAndASpacedCardNumberAreAccepted()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await (await merchant.Client.PostFormAsync("/api/v1/pay/direct",
            ("amount", "1"), ("merchant_reference", "amex"), ("pan", "3782 822463 10005"), ("expiry", "1230"), ("cvv", "1234"))).JsonAsync(200)).Transaction();
        Assert.Equal("complete", t.Text("status"));
        Assert.Equal("American Express", t.GetProperty("gateway_response_parameters").Text("cardName"));
        Assert.Equal("378282*****0005", t.GetProperty("gateway_response_parameters").Text("card"));
    }

    [Theory]
    [InlineData("GET", "/api/v1/gateway-transaction/{id}")]
    [InlineData("PUT", "/api/v1/gateway-transaction/refund/{id}")]
    [InlineData("GET", "/api/v1/organisation/{id}/gateway-transaction")]
    [InlineData("GET", "/api/v1/user/{id}/gateway-transaction")]
    public async Task IdsThatAreNotIdsAreNotFound(string method, string path)
    {
        using var merchant = await app.MerchantAsync();
        foreach (var id in new[] { "abc", "-1", "0", "1.5", "'%20or%20'1'%20eq%20'1", "99999999999999999999" })
        {
            await (await merchant.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id)))).ErrorAsync(404);
        }
    }

    [Fact]
    public async Task SettleNeedsExactlyOneWayToNameTheTransaction()
    {
        using var merchant = await app.MerchantAsync();
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle")).ErrorAsync(400);
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", "x"), ("gateway_transaction_id", "1"))).ErrorAsync(400);
        foreach (var reference in new[] { "'; drop", "a/b", "a\\b", "a#b", "a?b", "x" })
        {
            await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", reference))).ErrorAsync(404);
        }
        await (await merchant.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_transaction_id", "x'"))).ErrorAsync(404);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string method, string url, string body, string contentType) =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    private async Task<string> SnapshotAsync(Merchant merchant)
    {
        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).Content.ReadAsStringAsync();
        var events = 0;
        foreach (var t in System.Text.Json.JsonDocument.Parse(listed).RootElement.EnumerateArray())
        {
            events += (await app.EventsAsync(merchant.Id, t.Id())).Count;
        }
        return listed + "/" + events;
    }
}
