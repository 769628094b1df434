using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Codes;

/// <summary>Code management (document 004) as a merchant calls it: every documented request, and every documented status.</summary>
public sealed class CodeApiTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheDocumentsThreeCreateExamplesAnswerACodeAndItsExpiry()
    {
        using var merchant = await app.MerchantAsync();
        var before = DateTimeOffset.UtcNow;

        var basic = await merchant.Client.CreateCodeAsync(new { amount = 10, merchantReference = "TestMerchRef12", shortDescription = "Basket of Goods" });
        Assert.Equal(["code", "expiryDate", "payURL"], basic.Keys());
        Assert.Matches("^[0-9]{10}$", basic.Text("code"));
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(basic.GetProperty("expiryDate").GetInt64());
        Assert.InRange(expires, before.AddMinutes(30).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(30).AddSeconds(1));
        Assert.Equal($"http://localhost:7071/c/{basic.Text("code")}", basic.Text("payURL"));

        var basket = await merchant.Client.CreateCodeAsync(new
        {
            amount = 1000, merchantReference = "TestMerchRef10", shortDescription = "Basket of Goods", expiryDate = 0,
            subMerchantName = "The Shop", terminalId = "0000KFB1", requestPartialPayment = true, requestTip = true, useOnce = false,
            limitBasket = new[] { new { destination = 27832006283, itemType = "AIRTIME", amount = 500.00 } },
        });
        Assert.Equal(0, basket.GetProperty("expiryDate").GetInt64());

        var notify = await merchant.Client.CreateCodeAsync(new
        {
            amount = 10, merchantReference = "TestMerchRef11", shortDescription = "Basket of Goods", expiryDate = 0,
            subMerchantName = "The Shop", terminalId = "0000KFB1", smsNotify = new[] { 27832006283, 27832229174 },
            emailNotify = new[] { "one@example.com", "two@example.com" }, useOnce = false,
        });
        Assert.NotEqual(notify.Text("code"), basket.Text("code"));

        var view = await (await merchant.Client.GetAsync($"/api/code/{basket.Text("code")}")).JsonAsync(200);
        Assert.Equal(["code", "amountString", "currency", "merchantReference", "expiryDate", "useOnce", "merchantName",
            "shortDescription", "productURL", "status", "limitBasket", "payURL", "extra"], view.Keys());
        Assert.Equal("R 1000.00", view.Text("amountString"));
        Assert.Equal("ZAR", view.Text("currency"));
        Assert.False(view.GetProperty("useOnce").GetBoolean());
        Assert.Equal($"Org {merchant.Organisation.Admin.Username}", view.Text("merchantName"));
        Assert.Equal(JsonValueKind.Null, view.GetProperty("productURL").ValueKind);
        var item = Assert.Single(view.GetProperty("limitBasket").EnumerateArray());
        Assert.Equal(("27832006283", "AIRTIME", "500.00"), (item.Text("destination"), item.Text("itemType"), item.Text("amount")));
    }

    [Fact]
    public async Task UpdateAmountBlockUnblockAndDeleteAnswerTheCodeAsDocumented()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 10, merchantReference = "t0001", shortDescription = "Basket of Goods" }))
            .Text("code");
        var url = $"/api/code/{code}";
        var later = DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeMilliseconds();

        // The document's update example; its form-encoded twin works too.
        var updated = await (await merchant.Client.SendJsonAsync(HttpMethod.Put, url, new
        {
            amount = 10.5, merchantReference = "t0002", expiryDate = later, useOnce = true, shortDescription = "Samsung Galaxy S4",
        })).JsonAsync(200);
        Assert.Equal(("R 10.50", "t0002", "Samsung Galaxy S4", later),
            (updated.Text("amountString"), updated.Text("merchantReference"), updated.Text("shortDescription"),
                updated.GetProperty("expiryDate").GetInt64()));
        var variable = await (await merchant.Client.PutFormAsync(url, ("merchantReference", "t0003"),
            ("shortDescription", "Pay what you like"), ("productURL", "https://shop.test/p/1"))).JsonAsync(200);
        Assert.Equal(JsonValueKind.Null, variable.GetProperty("amountString").ValueKind);
        Assert.Equal("https://shop.test/p/1", variable.Text("productURL"));

        var amount = await (await merchant.Client.SendJsonAsync(HttpMethod.Put, $"{url}/amount", new { amount = 20.5 })).JsonAsync(200);
        Assert.Equal("R 20.50", amount.Text("amountString"));

        Assert.Equal("blocked", (await (await merchant.Client.PutAsync($"{url}/block", null)).JsonAsync(200)).Text("status"));
        Assert.Equal("active", (await (await merchant.Client.PutAsync($"{url}/unblock", null)).JsonAsync(200)).Text("status"));
        var deleted = await (await merchant.Client.DeleteAsync(url)).JsonAsync(200);
        Assert.Equal(("deleted", "R 20.50"), (deleted.Text("status"), deleted.Text("amountString")));
        Assert.Equal("The code does not exist.", await (await merchant.Client.GetAsync(url)).ErrorAsync(431));
        await (await merchant.Client.DeleteAsync(url)).ErrorAsync(431);
    }

    [Fact]
    public async Task TheDocumentsStatusesComeInTheErrorObject()
    {
        using var merchant = await app.MerchantAsync();
        var create = "/api/code/create";

        // 400: a mandatory parameter missing, or a body that is not JSON.
        Assert.Contains("merchantReference", await (await merchant.Client.SendJsonAsync(HttpMethod.Post, create,
            new { amount = 10, shortDescription = "Basket of Goods" })).ErrorAsync(400));
        await (await merchant.Client.SendRawAsync(HttpMethod.Post, create, "{amount: 10,", "application/json")).ErrorAsync(400);

        // 403: invalid merchant login details (not the v1 API's 401).
        using var wrong = app.ClientFor(merchant.Organisation.Admin with { Password = "not-the-password" });
        await (await wrong.SendJsonAsync(HttpMethod.Post, create, new { amount = 10 })).ErrorAsync(403);
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync("/api/code/0123456789")).ErrorAsync(403);

        // 440: a field that is there but wrong, named.
        foreach (var (body, field) in new (object, string)[]
        {
            (new { amount = 10, merchantReference = "r", shortDescription = "abc" }, "shortDescription"),
            (new { amount = -1, merchantReference = "r", shortDescription = "Basket of Goods" }, "amount"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", requestTip = true }, "requestTip"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", smsNotify = "27820000001,27820000002,27820000003,27820000004" }, "smsNotify"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", emailNotify = new[] { "not-an-address" } }, "emailNotify"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", productURL = "ftp://x" }, "productURL"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", rrn2 = "12ab" }, "rrn2"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", expiryDate = 1375293705000 }, "expiryDate"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", useOnce = "maybe" }, "useOnce"),
            (new { amount = 0, merchantReference = "r", shortDescription = "Basket of Goods", limitBasket = new[] { new { destination = "27820000001", itemType = "AIRTIME", amount = 5 } } }, "limitBasket"),
            (new { amount = 10, merchantReference = "r", shortDescription = "Basket of Goods", limitBasket = new[] { new { destination = "27820000001", itemType = "DATA", amount = 5 } } }, "itemType"),
        })
        {
            Assert.Contains(field, await (await merchant.Client.SendJsonAsync(HttpMethod.Post, create, body)).ErrorAsync(440));
        }

        // 439 not a code; 431 no such code.
        Assert.Contains("not a valid code", await (await merchant.Client.GetAsync("/api/code/12ab")).ErrorAsync(439));
        await (await merchant.Client.GetAsync("/api/code/1' or ''='")).ErrorAsync(439);
        await (await merchant.Client.GetAsync("/api/code/0000000000")).ErrorAsync(431);
    }

    [Fact]
    public async Task AnotherMerchantsCodeIs513OnEveryRouteAndNothingChanges()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var code = (await owner.Client.CreateCodeAsync(new { amount = 10, merchantReference = "mine", shortDescription = "Basket of Goods" }))
            .Text("code");
        var url = $"/api/code/{code}";
        var requests = new Func<Task<HttpResponseMessage>>[]
        {
            () => other.Client.GetAsync(url),
            () => other.Client.SendJsonAsync(HttpMethod.Put, url, new { amount = 1, merchantReference = "theirs", shortDescription = "Taken over" }),
            () => other.Client.PutAsync($"{url}/block", null),
            () => other.Client.PutAsync($"{url}/unblock", null),
            () => other.Client.SendJsonAsync(HttpMethod.Put, $"{url}/amount", new { amount = 1 }),
            () => other.Client.DeleteAsync(url),
        };
        foreach (var request in requests) Assert.Contains("does not belong", await (await request()).ErrorAsync(513));

        var view = await (await owner.Client.GetAsync(url)).JsonAsync(200);
        Assert.Equal(("R 10.00", "mine", "active"), (view.Text("amountString"), view.Text("merchantReference"), view.Text("status")));
    }

    [Fact]
    public async Task WithBasketLimitsOnABasketMustAddUpToTheCodesAmount()
    {
        using var merchant = await app.MerchantAsync();
        var on = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            ("Organisation[basket_limits]", "1"))).JsonAsync(200);
        Assert.Equal(1, on.GetProperty("basket_limits").GetInt32());
        var basket = new[] { new { destination = "27832006283", itemType = "AIRTIME", amount = 300 },
            new { destination = "27832229174", itemType = "AIRTIME_BUNDLE", amount = 200 } };

        Assert.Contains("limitBasket", await (await merchant.Client.SendJsonAsync(HttpMethod.Post, "/api/code/create", new
        {
            amount = 1000, merchantReference = "b", shortDescription = "Top-ups", limitBasket = basket,
        })).ErrorAsync(440));
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 500, merchantReference = "b", shortDescription = "Top-ups", limitBasket = basket,
        })).Text("code");
        Assert.Contains("limitBasket", await (await merchant.Client.SendJsonAsync(HttpMethod.Put, $"/api/code/{code}/amount",
            new { amount = 600 })).ErrorAsync(440));
        Assert.Equal("R 500.00", (await (await merchant.Client.GetAsync($"/api/code/{code}")).JsonAsync(200)).Text("amountString"));
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[basket_limits]", "2")))
            .ErrorAsync(400);
    }

    [Fact]
    public async Task AQrCodeOfThePayUrlIsServedWithoutLookingTheCodeUp()
    {
        using var client = app.CreateClient();
        var png = await client.GetAsync("/api/code/8227541409/qr.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await png.Content.ReadAsByteArrayAsync())[..4]);
        var svg = await client.GetAsync("/api/code/8227541409/qr.svg");
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<svg", await svg.Content.ReadAsStringAsync());
        await (await client.GetAsync("/api/code/82275/qr.png")).ErrorAsync(404);
    }
}

internal static class CodeKit
{
    public static async Task<JsonElement> CreateCodeAsync(this HttpClient client, object body) =>
        await (await client.SendJsonAsync(HttpMethod.Post, "/api/code/create", body)).JsonAsync(200);
}
