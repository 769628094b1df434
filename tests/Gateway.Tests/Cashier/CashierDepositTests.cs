using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cashier;

/// <summary>
/// Deposits (document 003): the hosted cashier and its page, the direct integration, server to server with 3-D
/// Secure, the tracking id that makes a request idempotent, and the deposit limit and amount rules.
/// </summary>
public sealed class CashierDepositTests(CashierGatewayApp app) : IClassFixture<CashierGatewayApp>
{
    [Fact]
    public async Task TheHostedCashierAnswersATokenWhosePageListsTheDepositProvidersInTheAskedTheme()
    {
        using var merchant = await app.CashierMerchantAsync();
        var answer = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", CashierKit.Body())).JsonAsync(200);
        Assert.Equal(["token", "url"], answer.Keys());
        var token = answer.GetProperty("token").GetString()!;
        Assert.Matches("^[A-Za-z0-9]{50}$", token);
        Assert.EndsWith($"/cashier/{token}", answer.GetProperty("url").GetString());

        var page = await app.Payer().GetAsync($"/cashier/{token}");
        var html = await page.HtmlAsync(200);
        Assert.Contains("<body class=\"dark\">", html);
        Assert.Contains($"href=\"/cashier/{token}?provider=210\"", html);
        Assert.Contains($"href=\"/cashier/{token}?provider=211\"", html);
        Assert.DoesNotContain("provider=310", html);
        Assert.Contains("R10.05", html);
        Assert.Contains("frame-ancestors 'none'", page.Csp());

        var light = await merchant.OpenAsync(body: CashierKit.Body(change: r => r["theme"] = "light"));
        Assert.DoesNotContain("class=\"dark\"", await (await app.Payer().GetAsync($"/cashier/{light}")).HtmlAsync(200));
    }

    [Fact]
    public async Task ACardDepositOnThePagePassesThreeDSecureAndSucceeds()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync();
        var posted = await app.SubmitAtAsync(token, 210, ("pan", CashierKit.Approved), ("expiry", "1230"),
            ("cvv", "123"));
        Assert.Equal(HttpStatusCode.SeeOther, posted.StatusCode);
        Assert.Equal($"/cashier/{token}/3ds", posted.Headers.Location!.ToString());
        var pending = await merchant.TransactionOfPageAsync(app, token);
        Assert.Equal("pending", pending.GetProperty("status").GetString());

        using var payer = app.Payer();
        var challenge = await (await payer.GetAsync($"/cashier/{token}/3ds")).HtmlAsync(200);
        var passed = await payer.SubmitAsync(challenge, ("outcome", "pass"));
        Assert.Equal($"/cashier/{token}", passed.Headers.Location!.ToString());
        Assert.Contains("Deposit successful", await (await payer.GetAsync($"/cashier/{token}")).HtmlAsync(200));

        var done = await merchant.TransactionOfPageAsync(app, token);
        Assert.Equal("successful", done.GetProperty("status").GetString());
        Assert.Equal("card_simulator", done.GetProperty("payment_provider").GetString());
        var status = await merchant.StatusAsync(done.GetProperty("transaction_id").GetString()!);
        Assert.Equal("successful", status.GetProperty("transaction_status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, status.GetProperty("rejected_reason").ValueKind);
    }

    [Fact]
    public async Task AFailedChallengeOrADeclinedCardRejectsTheDepositWithTheReason()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync();
        await app.SubmitAtAsync(token, 210, ("pan", CashierKit.Approved), ("expiry", "1230"), ("cvv", "123"));
        using var payer = app.Payer();
        await payer.SubmitAsync(await (await payer.GetAsync($"/cashier/{token}/3ds")).HtmlAsync(200),
            ("outcome", "fail"));
        var failed = await merchant.TransactionOfPageAsync(app, token);
        var status = await merchant.StatusAsync(failed.GetProperty("transaction_id").GetString()!);
        Assert.Equal("rejected", status.GetProperty("transaction_status").GetString());
        Assert.Equal("3-D Secure authentication failed", status.GetProperty("rejected_reason").GetString());

        var second = await merchant.OpenAsync();
        var declined = await app.SubmitAtAsync(second, 210, ("pan", CashierKit.Declined), ("expiry", "1230"),
            ("cvv", "123"));
        Assert.Equal($"/cashier/{second}", declined.Headers.Location!.ToString());
        var html = await (await payer.GetAsync($"/cashier/{second}")).HtmlAsync(200);
        Assert.Contains("Deposit rejected", html);
        Assert.Contains("Insufficient funds", html);
    }

    [Fact]
    public async Task AnInstantEftDepositSettlesAtOnceAndATestAccountDecidesItsOutcome()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync();
        await app.SubmitAtAsync(token, 211, ("bank", "FNB"), ("account", "62000000001"));
        var paid = await merchant.TransactionOfPageAsync(app, token);
        Assert.Equal("successful", paid.GetProperty("status").GetString());
        Assert.Equal("eft_simulator", paid.GetProperty("payment_provider").GetString());

        var refused = await merchant.OpenAsync();
        await app.SubmitAtAsync(refused, 211, ("bank", "FNB"), ("account", "4000000051"));
        var rejected = await merchant.TransactionOfPageAsync(app, refused);
        Assert.Equal("rejected", rejected.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheDirectIntegrationGoesStraightToTheProvidersForm()
    {
        using var merchant = await app.CashierMerchantAsync();
        var answer = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/direct",
            CashierKit.Body(change: r => { r.Remove("theme"); r["provider_id"] = 211; }))).JsonAsync(200);
        Assert.Equal(["url"], answer.Keys());
        var url = new Uri(answer.GetProperty("url").GetString()!);
        var html = await (await app.Payer().GetAsync(url.PathAndQuery)).HtmlAsync(200);
        Assert.Contains("<h1>Instant EFT</h1>", html);
        Assert.Contains("name=\"provider\" value=\"211\"", html);
        Assert.DoesNotContain("name=\"pan\"", html);

        // A direct deposit cannot be switched to another provider by editing the form.
        using var payer = app.Payer();
        var switched = await payer.SubmitAsync(html, ("provider", "210"), ("pan", CashierKit.Approved),
            ("expiry", "1230"), ("cvv", "123"));
        Assert.Equal(400, (int)switched.StatusCode);

        foreach (var bad in new JsonNode?[] { 999, 310, "abc", null })
        {
            var error = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/direct",
                CashierKit.Body(change: r => r["provider_id"] = bad?.DeepClone()))).ErrorAsync(400);
            Assert.Contains("request[provider_id]", error);
        }
    }

    [Fact]
    public async Task ServerToServerAnswersPendingWithTheThreeDSecureUrlThenSettles()
    {
        using var merchant = await app.CashierMerchantAsync();
        var answer = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody())).JsonAsync(200);
        Assert.Equal(["url", "transaction_status", "transaction_id"], answer.Keys());
        Assert.Equal("pending", answer.GetProperty("transaction_status").GetString());
        var id = answer.GetProperty("transaction_id").GetString()!;
        var url = new Uri(answer.GetProperty("url").GetString()!);
        Assert.EndsWith("/3ds", url.AbsolutePath);

        using var payer = app.Payer();
        await payer.SubmitAsync(await (await payer.GetAsync(url.PathAndQuery)).HtmlAsync(200), ("outcome", "pass"));
        Assert.Equal("successful", (await merchant.StatusAsync(id)).GetProperty("transaction_status").GetString());

        var declined = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined))).JsonAsync(200);
        Assert.Equal("rejected", declined.GetProperty("transaction_status").GetString());
        Assert.Equal("", declined.GetProperty("url").GetString());
        Assert.Equal("Insufficient funds", declined.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ServerToServerRefusesBadCardDetailsNamingTheField()
    {
        using var merchant = await app.CashierMerchantAsync();
        var cases = new (string Field, JsonNode? Value)[]
        {
            ("card_number", "4242424242424241"), ("card_number", null), ("cvc", "12"), ("exp_month", "13"),
            ("exp_year", "2020"), ("exp_year", "25"),
        };
        foreach (var (field, value) in cases)
        {
            var body = CashierKit.S2SBody(change: r =>
            {
                var card = r["card_details"]!.AsObject();
                if (value is null) card.Remove(field);
                else card[field] = value.DeepClone();
            });
            Assert.Contains($"request[card_details][{field}]",
                await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s", body)).ErrorAsync(400));
        }
        Assert.Contains("request[routing_id]", await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(change: r => r["routing_id"] = 211))).ErrorAsync(400));
        Assert.Empty((await merchant.ListAsync()).EnumerateArray());
    }

    [Fact]
    public async Task ATrackingIdRetriedAnswersTheSameAndADifferentRequestUnderItIs422()
    {
        using var merchant = await app.CashierMerchantAsync();
        var tracking = Guid.NewGuid().ToString();
        var first = await merchant.OpenAsync(body: CashierKit.Body(tracking));
        Assert.Equal(first, await merchant.OpenAsync(body: CashierKit.Body(tracking)));
        var error = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body(tracking, amount: "11.00"))).ErrorAsync(422);
        Assert.Contains("tracking_id", error);
        // A tracking id is the organisation's: another merchant may use the same one.
        using var other = await app.CashierMerchantAsync();
        Assert.NotEqual(first, await other.OpenAsync(body: CashierKit.Body(tracking)));

        var s2sTracking = Guid.NewGuid().ToString();
        var s2s = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: s2sTracking))).JsonAsync(200);
        var again = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: s2sTracking))).JsonAsync(200);
        Assert.Equal(s2s.GetProperty("transaction_id").GetString(), again.GetProperty("transaction_id").GetString());
        Assert.Equal(s2s.GetProperty("url").GetString(), again.GetProperty("url").GetString());
        Assert.Equal(422, (int)(await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined, s2sTracking))).StatusCode);
        // The status can be read by the tracking id too.
        Assert.Equal("pending",
            (await merchant.StatusAsync(s2sTracking)).GetProperty("transaction_status").GetString());
    }

    [Fact]
    public async Task TwoConcurrentDepositsWithOneTrackingIdOpenOneTransaction()
    {
        using var merchant = await app.CashierMerchantAsync();
        for (var round = 0; round < 3; round++)
        {
            var tracking = Guid.NewGuid().ToString();
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
                await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
                    CashierKit.S2SBody(trackingId: tracking))).JsonAsync(200)));
            Assert.Single(answers.Select(a => a.GetProperty("transaction_id").GetString()).Distinct());
        }
        Assert.Equal(3, (await merchant.ListAsync()).GetArrayLength());
    }

    [Fact]
    public async Task TheDepositLimitAndAmountRestrictionAreEnforced()
    {
        using var merchant = await app.CashierMerchantAsync();
        var over = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body(amount: "1000.01"))).ErrorAsync(400);
        Assert.Contains("max_deposit_limit", over);

        // Restricted (the default): the page shows no amount field and refuses one.
        var restricted = await merchant.OpenAsync();
        var html = await (await app.Payer().GetAsync($"/cashier/{restricted}?provider=211")).HtmlAsync(200);
        Assert.DoesNotContain("name=\"amount\"", html);
        var refused = await app.SubmitAtAsync(restricted, 211, ("bank", "FNB"), ("account", "62000000001"),
            ("amount", "20.00"));
        Assert.Contains("cannot be changed", await refused.HtmlAsync(400));

        // Not restricted: the user chooses, up to the limit.
        var open = await merchant.OpenAsync(body: CashierKit.Body(change: r => r["amount_restricted"] = false));
        var tooMuch = await app.SubmitAtAsync(open, 211, ("bank", "FNB"), ("account", "62000000001"),
            ("amount", "1000.50"));
        Assert.Contains("at most 1000.00", await tooMuch.HtmlAsync(400));
        await app.SubmitAtAsync(open, 211, ("bank", "FNB"), ("account", "62000000001"), ("amount", "250.00"));
        var paid = await merchant.TransactionOfPageAsync(app, open);
        Assert.Equal(250.00m, paid.GetProperty("user_amount").GetDecimal());
        Assert.Equal("successful", paid.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnotherCurrencyIsConvertedAtTheConfiguredRateWithTheMarginAsFxAmount()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync(body: CashierKit.Body(currency: "EUR", amount: "10.00"));
        await app.SubmitAtAsync(token, 211, ("bank", "FNB"), ("account", "62000000001"));
        var t = await merchant.TransactionOfPageAsync(app, token);
        // 10 EUR at 19.70 per EUR is R197.00; the 1 % margin configured for this app is R1.97.
        Assert.Equal(10.00m, t.GetProperty("user_amount").GetDecimal());
        Assert.Equal("EUR", t.GetProperty("user_currency").GetString());
        Assert.Equal(195.03m, t.GetProperty("amount").GetDecimal());
        Assert.Equal("ZAR", t.GetProperty("currency").GetString());
        Assert.Equal(1.97m, t.GetProperty("fx_amount").GetDecimal());

        var unknown = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body(currency: "KES"))).ErrorAsync(400);
        Assert.Contains("no exchange rate from KES to ZAR", unknown);
    }
}
