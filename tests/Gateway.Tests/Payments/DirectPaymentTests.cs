using Gateway.Payments;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

public sealed class DirectPaymentTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheDocumentedPayDirectExampleIsApprovedWithTheDocumentedShape()
    {
        using var merchant = await app.MerchantAsync();
        // The document's curl body, with an expiry still in the future (its 1223 has passed).
        var response = await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/pay/direct",
            "amount=1.00&merchant_reference=yourReference&pan=4242424242424242&expiry=1230&cvv=123&first_name=John&last_name=Doe");
        var result = await response.JsonAsync(200);
        Assert.Equal(["type", "transaction"], result.Keys());
        var t = result.Transaction();
        Assert.Equal(["id", "successful", "status", "amount", "reason", "displayAmount", "currency", "merchant_reference",
            "gateway_reference", "payment_key", "created", "refunded_amount", "refunded", "service", "gateway",
            "gateway_response_parameters", "call", "location", "signature", "is_demo_transaction"], t.Keys());
        Assert.Equal(1, t.GetProperty("successful").GetInt32());
        Assert.Equal("complete", t.Text("status"));
        Assert.Equal("1.00", t.Text("amount"));
        Assert.Equal("R1.00", t.Text("displayAmount"));
        Assert.Equal("ZAR", t.Text("currency"));
        Assert.Equal("n/a", t.Text("reason"));
        Assert.Equal("yourReference", t.Text("merchant_reference"));
        Assert.Equal("0.00", t.Text("refunded_amount"));
        Assert.Equal("Direct", t.Text("service"));
        Assert.Equal(1, t.GetProperty("is_demo_transaction").GetInt32());
        Assert.Matches("^[0-9a-f]{32}$", t.Text("payment_key"));
        Assert.True(Guid.TryParse(t.Text("gateway_reference"), out _));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", t.Text("created"));
        var parameters = t.GetProperty("gateway_response_parameters");
        Assert.Equal("424242******4242", parameters.Text("card"));
        Assert.Equal("424242", parameters.Text("bin"));
        Assert.Equal("00", parameters.Text("responseCode"));
        Assert.Equal("710", parameters.Text("currency"));
        Assert.Equal(100, parameters.GetProperty("amount").GetInt32());
        Assert.DoesNotContain("4242424242424242", result.GetRawText());

        Assert.Equal(t.GetRawText(), (await merchant.Client.ViewAsync(t.Id())).GetRawText());
    }

    [Theory]
    [InlineData("4000000000000002", "Card declined")]
    [InlineData("4000000000009995", "Insufficient funds")]
    [InlineData("4000000000009987", "Lost card")]
    [InlineData("4000000000000069", "Expired card")]
    [InlineData("4000000000000127", "Incorrect CVC")]
    [InlineData("4000000000000119", "Processing error")]
    public async Task StripeTestCardsDeclineWithTheirMeaning(string pan, string reason)
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(pan)).Transaction();
        Assert.Equal("failed", t.Text("status"));
        Assert.Equal(0, t.GetProperty("successful").GetInt32());
        Assert.Equal(reason, t.Text("reason"));
        Assert.Equal(SimulatedAcquirer.CardDeclines[pan].DeclineCode, t.GetProperty("gateway_response_parameters").Text("declineCode"));
    }

    [Fact]
    public async Task AChallengeCardRedirectsTo3DSecureAndCompletesToTheReturnUrl()
    {
        using var merchant = await app.MerchantAsync();
        var result = await merchant.Client.PayAsync(PaymentKit.Challenge, extra: ("return_url", "https://shop.example/back?order=7"));
        Assert.Equal(["type", "redirect_url", "gateway_transaction_id"], result.Keys());
        Assert.Equal("3ds_redirect", result.Text("type"));
        var id = long.Parse(result.Text("gateway_transaction_id"));
        var redirect = new Uri(result.Text("redirect_url"));
        Assert.Equal("/gatewaytransactions/3ds/", redirect.AbsolutePath);
        Assert.Contains($"transactionID={id}", redirect.Query);
        Assert.Equal("pending", (await merchant.Client.ViewAsync(id)).Text("status"));

        var session = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query)["session"].ToString();
        var outcome = await app.Service<HostedPayments>().CompleteChallengeAsync(session, id, passed: true, CancellationToken.None);
        Assert.StartsWith("https://shop.example/back?order=7&", outcome.RedirectUrl);
        Assert.Contains("status=complete", outcome.RedirectUrl);
        Assert.Equal("complete", (await merchant.Client.ViewAsync(id)).Text("status"));

        // Answering again (a double submit) changes nothing.
        var again = await app.Service<HostedPayments>().CompleteChallengeAsync(session, id, passed: false, CancellationToken.None);
        Assert.Equal("complete", again.Transaction.Status);
        Assert.Equal(["pending", "complete"], (await app.EventsAsync(merchant.Id, id)).Select(e => e.GetString("Status")));
    }

    [Fact]
    public async Task AChallengeWithoutReturnUrlFailsClearly()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(PaymentKit.Challenge)).Transaction();
        Assert.Equal("failed", t.Text("status"));
        Assert.Contains("return_url", t.Text("reason"));
    }

    [Fact]
    public async Task AnAuthorisationSettlesPartlyOnceAndNeverAfterwards()
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(amount: "10.00", path: "auth")).Transaction();
        Assert.Equal("authorised", auth.Text("status"));
        Assert.Equal(0, auth.GetProperty("successful").GetInt32());

        var tooMuch = await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()), ("amount", "10.01"));
        Assert.Contains("amount", await tooMuch.ErrorAsync(400));

        var settled = await (await merchant.Client.PutFormAsync("/api/v1/pay/settle",
            ("gateway_transaction_id", auth.Id().ToString()), ("amount", "5.00"))).JsonAsync(200);
        Assert.Equal("Transaction settled successfully", settled.Text("message"));
        Assert.Equal("complete", settled.Transaction().Text("status"));
        Assert.Equal("5.00", settled.Transaction().Text("amount"));

        var again = await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", auth.Text("gateway_reference")));
        Assert.Contains("complete transaction cannot be settled", await again.ErrorAsync(409));
        var reverse = await merchant.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_reference", auth.Text("gateway_reference")));
        await reverse.ErrorAsync(409);
        Assert.Equal(["authorised", "complete"], (await app.EventsAsync(merchant.Id, auth.Id())).Select(e => e.GetString("Status")));
    }

    [Fact]
    public async Task AReversedAuthorisationCannotBeSettled()
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(path: "auth")).Transaction();
        var reversed = await (await merchant.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_reference", auth.Text("gateway_reference")))).JsonAsync(200);
        Assert.Equal("Transaction reversed", reversed.Text("message"));
        Assert.Equal("reversed", reversed.Transaction().Text("status"));

        var settle = await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()));
        Assert.Contains("reversed transaction cannot be settled", await settle.ErrorAsync(409));
        var refund = await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", null);
        await refund.ErrorAsync(409);
    }

    [Fact]
    public async Task SettlingAFailedOrCompletePaymentIsRefused()
    {
        using var merchant = await app.MerchantAsync();
        var failed = (await merchant.Client.PayAsync("4000000000000002", path: "auth")).Transaction();
        var sale = (await merchant.Client.PayAsync()).Transaction();
        foreach (var id in new[] { failed.Id(), sale.Id() })
        {
            await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", id.ToString()))).ErrorAsync(409);
            await (await merchant.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_transaction_id", id.ToString()))).ErrorAsync(409);
        }
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", Guid.NewGuid().ToString()))).ErrorAsync(404);
    }

    [Fact]
    public async Task ConcurrentSettlesOfDifferentAmountsBookExactlyTheOneThatWon()
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(amount: "10.00", path: "auth")).Transaction();
        var amounts = new[] { "1.00", "2.00", "3.00", "4.00", "5.00", "6.00", "7.00", "8.00" };
        var responses = await Task.WhenAll(amounts.Select(a =>
            merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()), ("amount", a))));
        var won = Assert.Single(responses, r => r.StatusCode == System.Net.HttpStatusCode.OK);
        Assert.All(responses.Where(r => r != won), r => Assert.Equal(System.Net.HttpStatusCode.Conflict, r.StatusCode));
        var amount = (await won.JsonAsync(200)).Transaction().Text("amount");
        Assert.Equal(amount, (await merchant.Client.ViewAsync(auth.Id())).Text("amount"));
        Assert.Equal(["authorised", "complete"], (await app.EventsAsync(merchant.Id, auth.Id())).Select(e => e.GetString("Status")));
    }
}
