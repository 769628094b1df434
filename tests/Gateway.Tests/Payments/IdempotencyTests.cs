using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

public sealed class IdempotencyTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task ARetryWithTheSameKeyAndBodyReplaysTheFirstResponse()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var first = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key));
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));

        var retry = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());

        // The same body sent as JSON is the same request.
        var asJson = await merchant.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/pay/direct")
        {
            Content = new StringContent("""{"amount":"10.00","merchant_reference":"ref-1","pan":"4242424242424242","expiry":"1230","cvv":"123"}""",
                System.Text.Encoding.UTF8, "application/json"),
        }.WithKey(key));
        Assert.Equal(firstBody, await asJson.Content.ReadAsStringAsync());
        Assert.Single(await app.EventsAsync(merchant.Id, (await first.JsonAsync(200)).Transaction().Id()));
    }

    [Fact]
    public async Task TheSameKeyWithAnotherBodyIs422()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key))).JsonAsync(200);
        var other = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(amount: "11.00")).WithKey(key));
        Assert.Contains("different request", await other.ErrorAsync(422));
        // ... and on another endpoint.
        var elsewhere = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/auth", PaymentKit.Card()).WithKey(key));
        await elsewhere.ErrorAsync(422);
        // Another card number is another request too, as far as its first six and last four (and length) tell.
        var otherCard = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(pan: "5555555555554444")).WithKey(key));
        await otherCard.ErrorAsync(422);
    }

    [Fact]
    public async Task TheFingerprintKeepsNoMoreOfTheCardNumberThanItsMaskedForm()
    {
        // Its middle digits never reach the stored fingerprint (not even keyed-hashed): a retry that differs only
        // there is, for the Idempotency-Key, the same request, and replays the first answer.
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var first = await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key))).Content.ReadAsStringAsync();
        var retry = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(pan: "4242420000004242")).WithKey(key));
        Assert.Equal(first, await retry.Content.ReadAsStringAsync());
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task KeysAreScopedToTheOrganisation()
    {
        using var one = await app.MerchantAsync();
        using var two = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var a = await (await one.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key))).JsonAsync(200);
        var b = await two.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(key));
        Assert.False(b.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(a.Transaction().Id(), (await b.JsonAsync(200)).Transaction().Id());
    }

    [Fact]
    public async Task AHundredConcurrentRetriesMakeOnePayment()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var reference = "race-" + Guid.NewGuid().ToString("N")[..8];
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(reference: reference)).WithKey(key))));

        var bodies = new List<string>();
        foreach (var response in responses)
        {
            if (response.StatusCode == HttpStatusCode.Conflict) { Assert.Contains("still being processed", await response.ErrorAsync(409)); continue; }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }
        Assert.NotEmpty(bodies);
        Assert.Single(bodies.Distinct());
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK && !r.Headers.Contains("Idempotent-Replayed"));

        // One transaction with that reference, one event.
        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200);
        Assert.Single(listed.EnumerateArray(), t => t.Text("merchant_reference") == reference);
        var id = listed.EnumerateArray().Single(t => t.Text("merchant_reference") == reference).Id();
        Assert.Single(await app.EventsAsync(merchant.Id, id));
    }

    [Fact]
    public async Task ClientErrorsAreKeptButConflictsReleaseTheKey()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "5.00")).Transaction();
        var url = $"/api/v1/gateway-transaction/refund/{t.Id()}";

        // 400 (too much) is kept: the same request gets the same answer, even after the state would allow it.
        var key = Guid.NewGuid().ToString();
        var tooMuch = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url, ("amount", "6.00")).WithKey(key));
        await tooMuch.ErrorAsync(400);
        var replay = await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url, ("amount", "6.00")).WithKey(key));
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await replay.ErrorAsync(400);

        // A refund with a key happens once, however often it is retried.
        var refundKey = Guid.NewGuid().ToString();
        for (var i = 0; i < 3; i++)
        {
            await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, url, ("amount", "2.00")).WithKey(refundKey))).JsonAsync(200);
        }
        Assert.Equal("2.00", (await merchant.Client.ViewAsync(t.Id())).Text("refunded_amount"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    public async Task MalformedKeysAre400(string key)
    {
        using var merchant = await app.MerchantAsync();
        var request = PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card());
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        Assert.Contains("Idempotency-Key", await (await merchant.Client.SendAsync(request)).ErrorAsync(400));
        var tooLong = PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card()).WithKey(new string('k', 256));
        await (await merchant.Client.SendAsync(tooLong)).ErrorAsync(400);
    }

    [Fact]
    public async Task PaymentKeyCreationAndSettleAreIdempotentToo()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        var fields = new[] { ("amount", "1"), ("merchant_reference", "testref123") };
        var first = await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/payment-key", fields).WithKey(key))).JsonAsync(200);
        var again = await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/payment-key", fields).WithKey(key))).JsonAsync(200);
        Assert.Equal(first.Text("key"), again.Text("key"));

        var auth = (await merchant.Client.PayAsync(path: "auth")).Transaction();
        var settleKey = Guid.NewGuid().ToString();
        var settle = () => merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Put, "/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString())).WithKey(settleKey));
        var settled = await (await settle()).Content.ReadAsStringAsync();
        var replayed = await settle();
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(settled, await replayed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheOpenApiDescriptionDocumentsTheHeaderOnEveryIdempotentOperation()
    {
        using var client = app.CreateClient();
        var document = await (await client.GetAsync("/openapi/v1.json")).JsonAsync(200);
        foreach (var (path, method) in new[]
        {
            ("/api/v1/payment-key", "post"), ("/api/v1/pay/direct", "post"), ("/api/v1/pay/auth", "post"), ("/api/v1/pay/settle", "put"),
            ("/api/v1/pay/reverse", "put"), ("/api/v1/gateway-transaction/refund/{id}", "put"),
        })
        {
            var parameters = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("parameters");
            Assert.Contains(parameters.EnumerateArray(), p => p.Text("name") == "Idempotency-Key" && p.Text("in") == "header");
        }
        var view = document.GetProperty("paths").GetProperty("/api/v1/gateway-transaction/{id}").GetProperty("get");
        Assert.DoesNotContain("Idempotency-Key", view.GetRawText());
    }
}
