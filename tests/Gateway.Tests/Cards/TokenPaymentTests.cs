using Gateway.Payments;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cards;

/// <summary>Payments with stored cards: server to server (pay, auth) and on the hosted page of a key with a card_token.</summary>
public sealed class TokenPaymentTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task APaymentWithAStoredCardAnswersTheDocumentedShapeAndShowsTheToken()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-7")).Text("guid");

        var paid = await (await merchant.Client.PayTokenAsync(guid, amount: "10.00", reference: "SomePaymentRef123")).JsonAsync(200);
        Assert.Equal(CardKit.PayShape, paid.Keys());
        Assert.Equal(1, paid.GetProperty("success").GetInt32());
        Assert.Equal("10.00", paid.Text("amount"));
        Assert.Equal("n/a", paid.Text("reason"));
        Assert.Equal(merchant.Id, paid.GetProperty("organisation_id").GetInt64());
        Assert.Equal(merchant.Organisation.Admin.Username, paid.Text("user"));
        Assert.Equal("SomePaymentRef123", paid.Text("merchant_reference"));
        var response = paid.GetProperty("gateway_response");
        Assert.Equal(guid, response.Text("card_token"));
        Assert.Equal("424242", response.Text("bin"));
        Assert.Equal("424242******4242", response.Text("card"));

        var view = await merchant.Client.ViewAsync(paid.GetProperty("callpay_transaction_id").GetInt64());
        Assert.Equal("complete", view.Text("status"));
        Assert.Equal("Token", view.Text("service"));
        Assert.Equal(paid.Text("gateway_reference"), view.Text("gateway_reference"));
        Assert.Equal(guid, view.Text("token"));
        Assert.Equal("token", view.Keys()[^1]);
        Assert.Equal(guid, view.GetProperty("gateway_response_parameters").Text("card_token"));

        // A payment made with an entered card shows no token.
        var direct = (await merchant.Client.PayAsync()).Transaction();
        Assert.DoesNotContain("token", direct.Keys());
        Assert.DoesNotContain("token", (await merchant.Client.ViewAsync(direct.Id())).Keys());
    }

    [Fact]
    public async Task AnApiKeyPaysAsUserNotApplicable()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-key")).Text("guid");
        var apiKey = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key")).JsonAsync(201)).Text("key");
        using var client = app.ClientWithApiKey(apiKey);
        var paid = await (await client.PayTokenAsync(guid)).JsonAsync(200);
        Assert.Equal("n/a", paid.Text("user"));
    }

    [Fact]
    public async Task AnAuthorisationWithAStoredCardIsSettledLikeAnyOther()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-auth")).Text("guid");

        var auth = await (await merchant.Client.PayTokenAsync(guid, "auth", "25.00", "yourReference", ("is_authorisation", "1"))).JsonAsync(200);
        Assert.Equal(CardKit.AuthShape, auth.Keys());
        Assert.Equal(0, auth.GetProperty("success").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, auth.GetProperty("reason").ValueKind);
        Assert.Equal(guid, auth.GetProperty("gateway_response").Text("card_token"));
        var id = auth.GetProperty("callpay_transaction_id").GetInt64();
        Assert.Equal("authorised", (await merchant.Client.ViewAsync(id)).Text("status"));

        var settled = (await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", auth.Text("gateway_reference")), ("amount", "20.00")))
            .JsonAsync(200)).Transaction();
        Assert.Equal("complete", settled.Text("status"));
        Assert.Equal("20.00", settled.Text("amount"));
        Assert.Equal(guid, settled.Text("token"));
    }

    [Fact]
    public async Task ADeclinedStoredCardIsAFailedPaymentWithItsReason()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-declined", "4000000000009995")).Text("guid");
        var paid = await (await merchant.Client.PayTokenAsync(guid)).JsonAsync(200);
        Assert.Equal(0, paid.GetProperty("success").GetInt32());
        Assert.Equal("Insufficient funds", paid.Text("reason"));
        Assert.Equal("failed", (await merchant.Client.ViewAsync(paid.GetProperty("callpay_transaction_id").GetInt64())).Text("status"));
    }

    [Theory]
    [InlineData("pass", "authorised")]
    [InlineData("fail", "failed")]
    public async Task ThreeDSecureRedirectsAndEndsAtThePendingUrl(string answer, string status)
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-3ds", PaymentKit.Challenge)).Text("guid");

        var redirect = await (await merchant.Client.PayTokenAsync(guid, "auth", "1.00", "yourReference",
            ("is_authorisation", "1"), ("pending_url", "https://mypendingurl.com/back?o=1"))).JsonAsync(200);
        Assert.Equal(["type", "redirect_url", "gateway_transaction_id"], redirect.Keys());
        Assert.Equal("3ds_redirect", redirect.Text("type"));
        using var payer = app.Payer();
        var html = await (await payer.GetAsync(new Uri(redirect.Text("redirect_url")).PathAndQuery)).HtmlAsync(200);
        var back = (await payer.SubmitAsync(html, ("result", answer))).RedirectsTo("https://mypendingurl.com/back");
        Assert.Equal(status, back["status"]);
        Assert.Equal("1", back["o"]);
        var view = await merchant.Client.ViewAsync(long.Parse(redirect.Text("gateway_transaction_id")));
        Assert.Equal(status, view.Text("status"));
        Assert.Equal(guid, view.Text("token"));
    }

    [Fact]
    public async Task WithoutAPendingUrlAChallengeIsADecline()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-3ds-none", PaymentKit.Challenge)).Text("guid");
        var paid = await (await merchant.Client.PayTokenAsync(guid)).JsonAsync(200);
        Assert.Equal(0, paid.GetProperty("success").GetInt32());
        Assert.Equal("3-D Secure authentication required: send pending_url to redirect the cardholder", paid.Text("reason"));
        Assert.Equal("authentication_required", paid.GetProperty("gateway_response").Text("declineCode"));
    }

    [Fact]
    public async Task RetriesWithTheSameIdempotencyKeyMakeOnePayment()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-idem")).Text("guid");
        HttpRequestMessage Pay() => PaymentKit.FormRequest(HttpMethod.Post, $"/api/v1/customer-token/{guid}/pay",
            ("amount", "7.00"), ("reference", "idem-pay")).WithKey("token-pay-1");

        var racing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => merchant.Client.SendAsync(Pay())));
        Assert.All(racing, r => Assert.Contains((int)r.StatusCode, new[] { 200, 409 }));
        var answers = await Task.WhenAll(racing.Where(r => r.IsSuccessStatusCode).Select(r => r.Content.ReadAsStringAsync()));
        var retry = await (await merchant.Client.SendAsync(Pay())).JsonAsync(200);
        Assert.All(answers, a => Assert.Equal(retry.GetRawText(), a));
        Assert.Single(await app.RowsAsync(merchant.Id, "txn-"));
        Assert.Equal(1, retry.GetProperty("success").GetInt32());
    }

    [Fact]
    public async Task AnExpiredStoredCardIsRefusedBeforeTheAcquirerIsAsked()
    {
        using var merchant = await app.MerchantAsync();
        // Cards are stored while valid; this one has since expired (written as the vault would have, back then).
        var vault = app.Service<CardVault>();
        var card = vault.Seal(merchant.Id, new CardDetails(PaymentKit.Approved, 1, 2024, "", null), "old-card", CardSources.Api, DateTimeOffset.UtcNow.AddYears(-3));
        Assert.True(await app.Service<PaymentStore>().CommitAsync(CardVault.Inserts(card), CancellationToken.None));

        var refused = await (await merchant.Client.PayTokenAsync(card.Guid.ToString())).ErrorAsync(409);
        Assert.Contains("expired in 01-2024", refused);
        await (await merchant.Client.PayTokenAsync(card.Guid.ToString(), "auth")).ErrorAsync(409);
        Assert.Empty(await app.RowsAsync(merchant.Id, "txn-"));
        // A payment key may name it, but its page refuses to charge it.
        var key = await merchant.Client.CreateKeyAsync(extra: [("payment_type", "credit_card"), ("card_token", card.Guid.ToString())]);
        using var payer = app.Payer();
        var page = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        Assert.Contains("expired", await (await payer.SubmitAsync(page, ("action", "continue"))).HtmlAsync(409));
    }

    [Fact]
    public async Task AKeyWithACardTokenShowsTheSavedCardMaskedAndPaysWithIt()
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-page")).Text("guid");
        var key = await merchant.Client.CreateKeyAsync(amount: "12.00", extra: [("payment_type", "credit_card"), ("card_token", guid.ToUpperInvariant())]);

        using var payer = app.Payer();
        var page = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        Assert.Contains("424242******4242", page);
        Assert.DoesNotContain("name=\"pan\"", page);
        Assert.DoesNotContain("name=\"cvv\"", page);
        // Card fields posted anyway are not what is charged.
        var done = (await payer.SubmitAsync(page, ("action", "continue"), ("pan", "4000000000000002"), ("expiry", "1230"), ("cvv", "123")))
            .RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("complete", done["status"]);
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal("12.00", t.Text("amount"));
        Assert.Equal(guid, t.Text("token"));
        Assert.Equal(guid, t.GetProperty("gateway_response_parameters").Text("card_token"));
    }

    [Theory]
    [InlineData(null, "pending")] // the documents: "will default to backend setting", here when_required
    [InlineData("0", "failed")]
    [InlineData("1", "pending")]
    public async Task AKeysCardTokenAsksForThreeDSecureOnlyWhenAllowed(string? threeDs, string status)
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-page-3ds", PaymentKit.Challenge)).Text("guid");
        (string, string)[] extra = threeDs is null
            ? [("payment_type", "credit_card"), ("card_token", guid)]
            : [("payment_type", "credit_card"), ("card_token", guid), ("card_token_3ds", threeDs)];
        var key = await merchant.Client.CreateKeyAsync(extra: extra);

        using var payer = app.Payer();
        var page = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var posted = await payer.SubmitAsync(page, ("action", "continue"));
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(status, t.Text("status"));
        if (status == "pending")
        {
            var challenge = posted.RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
            var html = await (await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID={challenge["transactionID"]}&session={challenge["session"]}")).HtmlAsync(200);
            Assert.Equal("complete", (await payer.SubmitAsync(html, ("result", "pass"))).RedirectsTo(PageKit.SuccessUrl)["status"]);
        }
        else
        {
            posted.RedirectsTo(PageKit.ErrorUrl);
            Assert.Contains("card_token_3ds", t.Text("reason"));
        }
    }

    [Theory]
    [InlineData("card_token", "not-a-guid", "credit_card")]
    [InlineData("card_token", "4a7c851d-9400-4c67-bc48-b45419dd2582", "credit_card")]
    [InlineData("card_token", "{guid}", "eft")]
    [InlineData("card_token", "{guid}", null)]
    [InlineData("card_token_3ds", "2", "credit_card")]
    [InlineData("eft_token", "{guid}", "eft")]
    public async Task PaymentKeysRefuseTokensThatAreNotTheOrganisationsCards(string field, string value, string? paymentType)
    {
        using var merchant = await app.MerchantAsync();
        var guid = (await merchant.Client.StoreCardAsync("customer-key-check")).Text("guid");
        List<(string, string)> fields = [("amount", "5.00"), ("merchant_reference", "k"), (field, value.Replace("{guid}", guid, StringComparison.Ordinal))];
        if (paymentType is not null) fields.Add(("payment_type", paymentType));
        Assert.StartsWith(field, await (await merchant.Client.PostFormAsync("/api/v1/payment-key", [.. fields])).ErrorAsync(400));
    }
}
