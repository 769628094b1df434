using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

public sealed class RefundTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheDocumentedRefundRefundsTheWholeAmount()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "25.50")).Transaction();
        var response = await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", null);
        Assert.Equal("""{"result":true}""", await response.Content.ReadAsStringAsync());

        var viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("refunded", viewed.Text("status"));
        Assert.Equal("25.50", viewed.Text("refunded_amount"));
        Assert.Equal(1, viewed.GetProperty("refunded").GetInt32());
        Assert.Equal(1, viewed.GetProperty("successful").GetInt32());
        await (await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", null)).ErrorAsync(409);

        var events = await app.EventsAsync(merchant.Id, t.Id());
        Assert.Equal(["complete", "refunded"], events.Select(e => e.GetString("Status")));
        Assert.Equal("refund", events[1].GetString("Kind"));
        Assert.Contains("\"refunded_amount\":\"25.50\"", events[1].GetString("Payload"));
        Assert.Contains("\"refund_amount\":\"25.50\"", events[1].GetString("Payload"));
    }

    [Fact]
    public async Task EachRefundEventSaysItsOwnAmountBesideTheTotalRefunded()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "20.00")).Transaction();
        var url = $"/api/v1/gateway-transaction/refund/{t.Id()}";
        await (await merchant.Client.PutFormAsync(url, ("amount", "2.50"))).JsonAsync(200);
        await (await merchant.Client.PutFormAsync(url, ("amount", "10.00"))).JsonAsync(200);

        var refunds = (await app.EventsAsync(merchant.Id, t.Id())).Where(e => e.GetString("Kind") == "refund")
            .Select(e => System.Text.Json.Nodes.JsonNode.Parse(e.GetString("Payload")!)!).ToArray();
        Assert.Equal(["2.50", "12.50"], refunds.Select(p => p["refunded_amount"]!.GetValue<string>()));
        Assert.Equal(["2.50", "10.00"], refunds.Select(p => p["refund_amount"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PartialRefundsAddUpAndNeverExceedTheSettledAmount()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "10.00")).Transaction();
        var url = $"/api/v1/gateway-transaction/refund/{t.Id()}";

        await (await merchant.Client.PutFormAsync(url, ("amount", "3.00"))).JsonAsync(200);
        Assert.Equal("partially-refunded", (await merchant.Client.ViewAsync(t.Id())).Text("status"));
        Assert.Contains("7.00", await (await merchant.Client.PutFormAsync(url, ("amount", "7.01"))).ErrorAsync(400));
        await (await merchant.Client.PutFormAsync(url, ("amount", "6.99"))).JsonAsync(200);

        var viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("partially-refunded", viewed.Text("status"));
        Assert.Equal("9.99", viewed.Text("refunded_amount"));
        await (await merchant.Client.PutAsync(url, null)).JsonAsync(200); // the rest
        viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("refunded", viewed.Text("status"));
        Assert.Equal("10.00", viewed.Text("refunded_amount"));
    }

    [Fact]
    public async Task APartlySettledAuthorisationRefundsOnlyWhatWasSettled()
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(amount: "10.00", path: "auth")).Transaction();
        await (await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", null)).ErrorAsync(409);
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()), ("amount", "4.00"))).JsonAsync(200);
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", ("amount", "4.01"))).ErrorAsync(400);
        await (await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", null)).JsonAsync(200);
        Assert.Equal("4.00", (await merchant.Client.ViewAsync(auth.Id())).Text("refunded_amount"));
    }

    [Fact]
    public async Task FailedPaymentsCannotBeRefunded()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync("4000000000009995")).Transaction();
        Assert.Contains("failed transaction cannot be refunded",
            await (await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", null)).ErrorAsync(409));
    }

    [Fact]
    public async Task FiftyConcurrentPartialRefundsNeverRefundMoreThanWasPaid()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "30.00")).Transaction();
        var url = $"/api/v1/gateway-transaction/refund/{t.Id()}";

        // 50 refunds of 1.00 race for 30.00: exactly 30 may win, whatever the interleaving.
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => merchant.Client.PutFormAsync(url, ("amount", "1.00"))));
        var statuses = responses.Select(r => (int)r.StatusCode).ToList();
        Assert.Equal(30, statuses.Count(s => s == 200));
        Assert.All(statuses.Where(s => s != 200), s => Assert.True(s is 400 or 409, $"unexpected {s}"));

        var viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("refunded", viewed.Text("status"));
        Assert.Equal("30.00", viewed.Text("refunded_amount"));
        var events = await app.EventsAsync(merchant.Id, t.Id());
        Assert.Equal(31, events.Count); // the payment and one per successful refund
        Assert.Equal(Enumerable.Range(1, 31), events.Select(e => e.GetInt32("Sequence") ?? int.Parse(e.RowKey[^6..])));
    }
}
