using Gateway.Tests.Identity;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Codes;

/// <summary>
/// Paying a code in an app (<c>POST /api/code/{code}/pay</c>, no merchant credentials): the card fields of pay/direct,
/// on the same ledger as every payment, and a use-once code paid exactly once however many payers race for it.
/// </summary>
public sealed class CodePaymentTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static (string, string)[] Card(string pan = PaymentKit.Approved, params (string, string)[] extra) =>
        [("pan", pan), ("expiry", PaymentKit.Expiry), ("cvv", "123"), .. extra];

    private async Task<HttpResponseMessage> PayAsync(string code, params (string, string)[] fields)
    {
        using var payer = app.CreateClient();
        return await payer.PostFormAsync($"/api/code/{code}/pay", fields);
    }

    [Fact]
    public async Task AFixedCodePaysLikePayDirectAndItsTransactionCarriesTheCodesDetails()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 12.34, merchantReference = "order-55", shortDescription = "Basket of Goods", subMerchantName = "The Shop",
            terminalId = "0000KFB1", rrn2 = "12345",
        })).Text("code");

        var t = (await (await PayAsync(code, Card())).JsonAsync(200)).Transaction();
        Assert.Equal(("complete", "12.34", "order-55"), (t.Text("status"), t.Text("amount"), t.Text("merchant_reference")));
        var details = t.GetProperty("gateway_response_parameters");
        Assert.Equal((code, "The Shop", "0000KFB1", "000000012345"),
            (details.Text("code"), details.Text("sub_merchant_name"), details.Text("terminal_id"), details.Text("rrn2")));
        // The merchant sees it like any payment (its event for the webhooks, a refund); the code is used up.
        Assert.Equal("complete", (await merchant.Client.ViewAsync(t.Id())).Text("status"));
        Assert.Equal(["complete"], (await app.EventsAsync(merchant.Id, t.Id())).Select(e => e.GetString("Status")));
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", ("amount", "2.00"))).JsonAsync(200);
        Assert.Equal("partially-refunded", (await merchant.Client.ViewAsync(t.Id())).Text("status"));
        Assert.Contains("already been made", await (await PayAsync(code, Card())).ErrorAsync(409));
    }

    [Fact]
    public async Task ADeclineLeavesAUseOnceCodePayableAndAChallengeAnswers3dsRedirect()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 5, merchantReference = "r", shortDescription = "Basket of Goods" }))
            .Text("code");

        var declined = (await (await PayAsync(code, Card("4000000000000002"))).JsonAsync(200)).Transaction();
        Assert.Equal("failed", declined.Text("status"));
        var challenge = await (await PayAsync(code, Card(PaymentKit.Challenge, ("return_url", "https://app.test/back")))).JsonAsync(200);
        Assert.Equal("3ds_redirect", challenge.Text("type"));
        // While the payer is at the challenge, nobody else can pay the code.
        Assert.Contains("in progress", await (await PayAsync(code, Card())).ErrorAsync(409));
    }

    [Fact]
    public async Task AVariableCodeTakesThePayersAmountAndATipWhereAskedAndAReusableCodeTakesManyPayments()
    {
        using var merchant = await app.MerchantAsync();
        var variable = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 0, merchantReference = "tips", shortDescription = "Pay what you like", requestPartialPayment = true,
            requestTip = true, useOnce = false, expiryDate = 0,
        })).Text("code");

        Assert.Contains("amount", await (await PayAsync(variable, Card())).ErrorAsync(400));
        for (var i = 0; i < 3; i++)
        {
            var t = (await (await PayAsync(variable, Card(extra: [("amount", "7.00"), ("tip", "1.50")]))).JsonAsync(200)).Transaction();
            Assert.Equal(("complete", "8.50"), (t.Text("status"), t.Text("amount")));
        }

        var fixedCode = (await merchant.Client.CreateCodeAsync(new { amount = 10, merchantReference = "f", shortDescription = "Basket of Goods" }))
            .Text("code");
        Assert.Contains("tip", await (await PayAsync(fixedCode, Card(extra: ("tip", "1.00")))).ErrorAsync(400));
        Assert.Contains("R10.00", await (await PayAsync(fixedCode, Card(extra: ("amount", "9.00")))).ErrorAsync(400));
        var partial = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 10, merchantReference = "p", shortDescription = "Basket of Goods", requestPartialPayment = true,
        })).Text("code");
        await (await PayAsync(partial, Card(extra: ("amount", "10.01")))).ErrorAsync(400);
        Assert.Equal("4.00", (await (await PayAsync(partial, Card(extra: ("amount", "4.00")))).JsonAsync(200)).Transaction().Text("amount"));
    }

    [Fact]
    public async Task AnUpdateCanMakeACodeReusableOrUseOnce()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 4, merchantReference = "u", shortDescription = "Basket of Goods" }))
            .Text("code");
        Task<HttpResponseMessage> UpdateAsync(bool useOnce) => merchant.Client.SendJsonAsync(HttpMethod.Put, $"/api/code/{code}",
            new { amount = 4, merchantReference = "u", shortDescription = "Basket of Goods", useOnce, expiryDate = 0 });

        Assert.False((await (await UpdateAsync(useOnce: false)).JsonAsync(200)).GetProperty("useOnce").GetBoolean());
        for (var i = 0; i < 2; i++) Assert.Equal("complete", (await (await PayAsync(code, Card())).JsonAsync(200)).Transaction().Text("status"));

        Assert.True((await (await UpdateAsync(useOnce: true)).JsonAsync(200)).GetProperty("useOnce").GetBoolean());
        Assert.Equal("complete", (await (await PayAsync(code, Card())).JsonAsync(200)).Transaction().Text("status"));
        Assert.Contains("already been made", await (await PayAsync(code, Card())).ErrorAsync(409));
        // A use-once code that was paid stays paid: it cannot be repriced.
        await (await merchant.Client.SendJsonAsync(HttpMethod.Put, $"/api/code/{code}/amount", new { amount = 5 })).ErrorAsync(409);
    }

    [Fact]
    public async Task BlockedDeletedExpiredAndUnknownCodesCannotBePaid()
    {
        using var merchant = await app.MerchantAsync();
        async Task<string> NewCodeAsync() => (await merchant.Client.CreateCodeAsync(new
        {
            amount = 3, merchantReference = "r", shortDescription = "Basket of Goods",
        })).Text("code");

        var blocked = await NewCodeAsync();
        await (await merchant.Client.PutAsync($"/api/code/{blocked}/block", null)).JsonAsync(200);
        Assert.Contains("blocked", await (await PayAsync(blocked, Card())).ErrorAsync(409));
        await (await merchant.Client.PutAsync($"/api/code/{blocked}/unblock", null)).JsonAsync(200);
        Assert.Equal("complete", (await (await PayAsync(blocked, Card())).JsonAsync(200)).Transaction().Text("status"));

        var deleted = await NewCodeAsync();
        await (await merchant.Client.DeleteAsync($"/api/code/{deleted}")).JsonAsync(200);
        var unknown = await (await PayAsync("0000000001", Card())).ErrorAsync(404);
        Assert.Equal(unknown, await (await PayAsync(deleted, Card())).ErrorAsync(404));
        Assert.Equal(unknown, await (await PayAsync("12ab", Card())).ErrorAsync(404));

        // The organisation's test clock an hour on: the code's 30 minutes are over.
        var expiring = await NewCodeAsync();
        var later = DateTimeOffset.UtcNow.AddHours(1).ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd HH:mm:ss",
            System.Globalization.CultureInfo.InvariantCulture);
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}/test-clock", ("now", later))).JsonAsync(200);
        Assert.Contains("expired", await (await PayAsync(expiring, Card())).ErrorAsync(410));
    }

    [Fact]
    public async Task TwentyPayersRacingForAUseOnceCodeMakeOnePaymentAndOneCharge()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 20, merchantReference = "race", shortDescription = "Concert ticket" }))
            .Text("code");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => PayAsync(code, Card())));

        var statuses = answers.Select(a => (int)a.StatusCode).ToArray();
        Assert.Equal(1, statuses.Count(s => s == 200));
        Assert.All(statuses.Where(s => s != 200), s => Assert.Equal(409, s));
        foreach (var refused in answers.Where(a => (int)a.StatusCode == 409)) Assert.Matches("in progress|already been made", await refused.ErrorAsync(409));
        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200);
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal((1, "20.00"), (only.GetProperty("successful").GetInt32(), only.Text("amount")));
    }
}

/// <summary>The public lookups cannot be used to scan the ten-digit space: misses are limited per client.</summary>
public sealed class CodeLookupLimitTests(ClockedGatewayApp app) : IClassFixture<ClockedGatewayApp>
{
    private async Task<HttpResponseMessage> PayAsync(string client, string code)
    {
        using var payer = app.CreateClient();
        payer.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.51.100.1, {client}");
        return await payer.PostFormAsync($"/api/code/{code}/pay", ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"));
    }

    [Fact]
    public async Task AClientThatMissesTooOftenIsRefusedForAWhileAndOtherClientsAreNot()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 2, merchantReference = "r", shortDescription = "Basket of Goods", useOnce = false, expiryDate = 0,
        })).Text("code");
        var scanner = $"203.0.113.{Random.Shared.Next(1, 250)}";

        for (var i = 0; i < Gateway.Codes.CodeLookupLimiter.MaxMisses; i++)
        {
            await (await PayAsync(scanner, $"{1_000_000_000L + i}")).ErrorAsync(404);
        }
        var refused = await PayAsync(scanner, code); // even a real code, once the misses are spent
        Assert.Contains("Too many unknown codes", await refused.ErrorAsync(429));
        Assert.True(int.Parse(refused.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("complete", (await (await PayAsync("192.0.2.44", code)).JsonAsync(200)).Transaction().Text("status"));

        app.Clock!.Advance(Gateway.Codes.CodeLookupLimiter.Window);
        Assert.Equal("complete", (await (await PayAsync(scanner, code)).JsonAsync(200)).Transaction().Text("status"));
    }
}
