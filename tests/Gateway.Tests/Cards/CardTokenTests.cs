using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cards;

/// <summary>The card vault API: storing a card, viewing it masked, deleting it, and what it refuses.</summary>
public sealed class CardTokenTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task ADirectlyStoredCardIsViewedMaskedByReferenceOrGuid()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.StoreCardAsync("reference_test");
        Assert.Equal(CardKit.CreatedShape, created.Keys());
        Assert.Equal("reference_test", created.Text("merchant_reference"));
        Assert.Equal("12-2030", created.Text("expiry_date"));
        Assert.Matches("^[0-9a-f-]{36},[0-9A-F-]{36}$", created.Text("token"));
        var guid = Guid.Parse(created.Text("guid")).ToString();

        foreach (var name in new[] { "reference_test", guid, guid.ToUpperInvariant() })
        {
            var view = await (await merchant.Client.GetAsync(CardKit.Url(name))).JsonAsync(200);
            Assert.Equal(CardKit.ViewShape, view.Keys());
            Assert.Equal(guid, view.Text("guid"));
            Assert.Equal(created.Text("token"), view.Text("token"));
            Assert.Equal("424242******4242", view.Text("pan"));
            Assert.Equal("424242", view.Text("card_bin"));
            Assert.Equal("12-2030", view.Text("expiry_date"));
        }

        // The stored row: sealed number with its key id, masked parts, and no CVV in any form.
        var row = Assert.Single(await app.RowsAsync(merchant.Id, "card-"));
        Assert.DoesNotContain(row.Keys, k => k.Contains("cvv", StringComparison.OrdinalIgnoreCase) || k.Contains("cvc", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(PaymentKit.Approved, string.Join("|", row.Select(p => p.Value)));
        Assert.False(string.IsNullOrEmpty(row.GetString("KeyId")));
        Assert.Equal("4242", row.GetString("Last4"));
        Assert.Equal("api", row.GetString("Source"));
    }

    [Theory]
    [InlineData("4222222222222", "4222*****2222", "4222")] // 13 digits: at least five stay hidden, so fewer lead
    [InlineData("378282246310005", "378282*****0005", "378282")] // American Express, 15 digits
    public async Task ShortCardNumbersShowFewerLeadingDigitsEverywhere(string pan, string masked, string bin)
    {
        using var merchant = await app.MerchantAsync();
        var created = await (await merchant.Client.PostFormAsync("/api/v1/customer-token/direct",
            ("merchant_reference", "short-" + pan.Length), ("pan", pan), ("expiry", "1230"), ("cvv", "1234"))).JsonAsync(200);
        var view = await (await merchant.Client.GetAsync(CardKit.Url(created.Text("guid")))).JsonAsync(200);
        Assert.Equal((masked, bin), (view.Text("pan"), view.Text("card_bin")));
        var paid = (await merchant.Client.PayAsync(pan: pan)).Transaction();
        Assert.Equal(masked, paid.GetProperty("gateway_response_parameters").Text("card"));
        Assert.Equal(bin, paid.GetProperty("gateway_response_parameters").Text("bin"));
    }

    [Fact]
    public async Task DeletingRemovesTheCardAndFreesItsReference()
    {
        using var merchant = await app.MerchantAsync();
        var first = await merchant.Client.StoreCardAsync("reference3");
        var second = await merchant.Client.StoreCardAsync("other-ref", "5555555555554444");

        var deleted = await (await merchant.Client.DeleteAsync(CardKit.Url("reference3"))).JsonAsync(200);
        Assert.Equal("""{"success":true,"message":"Card token deleted for reference/guid reference3"}""", deleted.GetRawText());
        await (await merchant.Client.GetAsync(CardKit.Url("reference3"))).ErrorAsync(404);
        await (await merchant.Client.GetAsync(CardKit.Url(first.Text("guid")))).ErrorAsync(404);
        await (await merchant.Client.DeleteAsync(CardKit.Url("reference3"))).ErrorAsync(404);
        await (await merchant.Client.PayTokenAsync(first.Text("guid"))).ErrorAsync(404);

        // By guid, too; then the organisation keeps no card or index row.
        var byGuid = await (await merchant.Client.DeleteAsync(CardKit.Url(second.Text("guid")))).JsonAsync(200);
        Assert.Equal($"Card token deleted for reference/guid {second.Text("guid")}", byGuid.Text("message"));
        Assert.Empty(await app.RowsAsync(merchant.Id, "card-"));
        Assert.Empty(await app.RowsAsync(merchant.Id, "cref-"));

        // The reference can name a new card.
        Assert.NotEqual(first.Text("guid"), (await merchant.Client.StoreCardAsync("reference3", "5555555555554444")).Text("guid"));
    }

    [Fact]
    public async Task AReferenceNamesOneCardEvenUnderConcurrentCreates()
    {
        using var merchant = await app.MerchantAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => merchant.Client.PostCardAsync("race-ref")));

        var statuses = responses.Select(r => (int)r.StatusCode).ToList();
        Assert.Equal(1, statuses.Count(s => s == 200));
        Assert.Equal(19, statuses.Count(s => s == 409));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Contains("merchant_reference", await conflict.ErrorAsync(409));
        }
        var winner = await responses.Single(r => r.IsSuccessStatusCode).JsonAsync(200);
        var row = Assert.Single(await app.RowsAsync(merchant.Id, "card-"));
        Assert.Equal($"card-{Guid.Parse(winner.Text("guid")):N}", row.RowKey);
        Assert.Single(await app.RowsAsync(merchant.Id, "cref-"));
    }

    [Fact]
    public async Task AnIdempotentRetryOfACreateReplaysTheSameCard()
    {
        using var merchant = await app.MerchantAsync();
        HttpRequestMessage Create() => PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/customer-token/direct",
            ("merchant_reference", "idem-card"), ("pan", PaymentKit.Approved), ("expiry", "1230"), ("cvv", "123")).WithKey("card-key-1");

        var first = await merchant.Client.SendAsync(Create());
        var again = await merchant.Client.SendAsync(Create());
        Assert.Equal((await first.JsonAsync(200)).GetRawText(), (await again.JsonAsync(200)).GetRawText());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await app.RowsAsync(merchant.Id, "card-"));
        // Without the key, the same request is a second card for the reference: refused.
        await (await merchant.Client.PostCardAsync("idem-card")).ErrorAsync(409);
    }

    [Theory]
    [InlineData("o'neil \"quoted\" ref")]
    [InlineData("Zoë – 顧客 🎉")]
    [InlineData("a/b?c#d&e=f")]
    [InlineData("x' or PartitionKey ne '")]
    public async Task ReferencesAreTextAndNeverShapeAKey(string reference)
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.StoreCardAsync(reference);
        Assert.Equal(reference, created.Text("merchant_reference"));
        // Found by guid always, and by reference where a path segment can carry it.
        Assert.Equal(reference, (await (await merchant.Client.GetAsync(CardKit.Url(created.Text("guid")))).JsonAsync(200)).Text("merchant_reference"));
        if (!reference.Contains('/'))
        {
            Assert.Equal(created.Text("guid"), (await (await merchant.Client.GetAsync(CardKit.Url(reference))).JsonAsync(200)).Text("guid"));
        }
        await (await merchant.Client.PostCardAsync(reference)).ErrorAsync(409);
    }

    [Fact]
    public async Task AnotherOrganisationsCardsAreNotFoundByAnyRoute()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var card = await owner.Client.StoreCardAsync("mine");
        var guid = card.Text("guid");

        foreach (var name in new[] { "mine", guid })
        {
            await (await other.Client.GetAsync(CardKit.Url(name))).ErrorAsync(404);
            await (await other.Client.DeleteAsync(CardKit.Url(name))).ErrorAsync(404);
        }
        await (await other.Client.PayTokenAsync(guid)).ErrorAsync(404);
        await (await other.Client.PayTokenAsync(guid, "auth", extra: ("is_authorisation", "1"))).ErrorAsync(404);
        var key = await other.Client.PostFormAsync("/api/v1/payment-key", ("amount", "5.00"), ("merchant_reference", "k"),
            ("payment_type", "credit_card"), ("card_token", guid));
        Assert.Contains("card_token", await key.ErrorAsync(400));
        // The other organisation may use the same reference for its own card; the owner's is untouched.
        await other.Client.StoreCardAsync("mine");
        Assert.Equal(guid, (await (await owner.Client.GetAsync(CardKit.Url("mine"))).JsonAsync(200)).Text("guid"));
    }

    public static TheoryData<string, string> BadDirectBodies => new()
    {
        { "pan=4242424242424242&expiry=1230&cvv=123", "merchant_reference" },
        { "merchant_reference=" + new string('r', 65) + "&pan=4242424242424242&expiry=1230&cvv=123", "merchant_reference" },
        { "merchant_reference=r&expiry=1230&cvv=123", "pan" },
        { "merchant_reference=r&pan=4242424242424241&expiry=1230&cvv=123", "pan" },
        { "merchant_reference=r&pan=4242abcd42424242&expiry=1230&cvv=123", "pan" },
        { "merchant_reference=r&pan=4242424242424242&expiry=1330&cvv=123", "expiry" },
        { "merchant_reference=r&pan=4242424242424242&expiry=0120&cvv=123", "expiry" },
        { "merchant_reference=r&pan=4242424242424242&expiry=1230", "cvv" },
        { "merchant_reference=r&pan=4242424242424242&expiry=1230&cvv=12", "cvv" },
        { "merchant_reference=r&pan[x]=4242424242424242&expiry=1230&cvv=123", "pan" },
        { """{"merchant_reference": {"a": 1}, "pan": "4242424242424242", "expiry": "1230", "cvv": "123"}""", "merchant_reference" },
        { """{"merchant_reference": "r", "pan": [4242424242424242], "expiry": "1230", "cvv": "123"}""", "pan" },
        { """{"merchant_reference": "r\u202Eevil", "pan": "4242424242424242", "expiry": "1230", "cvv": "123"}""", "merchant_reference" },
        { """{"merchant_reference": "r", "pan": "4242424242424242", "expiry": true, "cvv": "123"}""", "expiry" },
    };

    [Theory]
    [MemberData(nameof(BadDirectBodies))]
    public async Task BadCardsAreA400NamingTheFieldAndStoreNothing(string body, string field)
    {
        using var merchant = await app.MerchantAsync();
        var json = body.StartsWith('{');
        var response = await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/customer-token/direct", body,
            json ? "application/json" : "application/x-www-form-urlencoded");
        Assert.StartsWith(field, await response.ErrorAsync(400));
        Assert.Empty(await app.RowsAsync(merchant.Id, "card-"));
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("4a7c851d-9400-4c67-bc48-b45419dd258")]
    [InlineData("%27%20or%20%271%27%3D%271")]
    [InlineData("4a7c851d-9400-4c67-bc48-b45419dd2582")]
    public async Task UnknownOrMalformedGuidsAreNotFound(string guid)
    {
        using var merchant = await app.MerchantAsync();
        await (await merchant.Client.PostFormAsync($"/api/v1/customer-token/{guid}/pay", ("amount", "1.00"), ("reference", "r"))).ErrorAsync(404);
        await (await merchant.Client.PostFormAsync($"/api/v1/customer-token/{guid}/auth", ("amount", "1.00"), ("reference", "r"))).ErrorAsync(404);
        await (await merchant.Client.GetAsync($"/api/v1/customer-token/{guid}")).ErrorAsync(404);
        await (await merchant.Client.DeleteAsync($"/api/v1/customer-token/{guid}")).ErrorAsync(404);
    }

    [Fact]
    public async Task ReferencesTooLongOrWithControlCharactersNameNoCard()
    {
        using var merchant = await app.MerchantAsync();
        await (await merchant.Client.GetAsync(CardKit.Url(new string('r', 65)))).ErrorAsync(404);
        await (await merchant.Client.GetAsync(CardKit.Url("a\u0001b"))).ErrorAsync(404);
        await (await merchant.Client.DeleteAsync(CardKit.Url(new string('r', 5000)))).ErrorAsync(404);
    }

    [Fact]
    public async Task BadTokenPaymentsAreA400NamingTheField()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("pay-bad")).Text("guid");
        var cases = new (string Path, (string, string)[] Fields, string Field)[]
        {
            ("pay", [("reference", "r")], "amount"),
            ("pay", [("amount", "ten"), ("reference", "r")], "amount"),
            ("pay", [("amount", "-1"), ("reference", "r")], "amount"),
            ("pay", [("amount", "1.00")], "reference"),
            ("pay", [("amount", "1.00"), ("reference", new string('r', 33))], "reference"),
            ("auth", [("amount", "1.00"), ("reference", "r"), ("pending_url", "javascript:alert(1)")], "pending_url"),
            ("auth", [("amount", "1.00"), ("reference", "r"), ("is_authorisation", "0")], "is_authorisation"),
            ("auth", [("amount", "1.00"), ("reference", "r"), ("is_authorisation", "maybe")], "is_authorisation"),
        };
        foreach (var (path, fields, field) in cases)
        {
            Assert.StartsWith(field, await (await merchant.Client.PostFormAsync($"/api/v1/customer-token/{guid}/{path}", fields)).ErrorAsync(400));
        }
        var wrongType = await merchant.Client.SendRawAsync(HttpMethod.Post, $"/api/v1/customer-token/{guid}/pay",
            """{"amount": {"value": 1}, "reference": "r"}""", "application/json");
        Assert.StartsWith("amount", await wrongType.ErrorAsync(400));
        Assert.Empty(await app.RowsAsync(merchant.Id, "txn-"));
    }

    [Fact]
    public async Task CapturedCardsNeedAReferenceAndACapture()
    {
        using var merchant = await app.MerchantAsync();
        Assert.StartsWith("merchant_reference", await (await merchant.Client.PostFormAsync("/api/v1/customer-token")).ErrorAsync(400));
        var none = await (await merchant.Client.PostFormAsync("/api/v1/customer-token", ("merchant_reference", "never-paid"))).ErrorAsync(404);
        Assert.Contains("Remember this card", none);
        Assert.Empty(await app.RowsAsync(merchant.Id, "card-"));
    }
}
