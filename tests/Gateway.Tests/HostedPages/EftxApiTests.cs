using System.Net;
using System.Text.Json;
using Gateway.HostedPages;
using Gateway.Payments;
using Gateway.Tests.Identity;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.HostedPages;

/// <summary>
/// The self-hosted EFT plugin's API as a merchant's page calls it from another origin: the hosted EFT page's steps,
/// outcomes and refusals, as JSON readable from anywhere and never cached.
/// </summary>
public sealed class EftxApiTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheStepsLeadFromBankToSignInToConfirmAndPay()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "99.95", extra: ("customer_bank", "capitec"));
        using var shop = EftxKit.Shop(app);

        var bank = await shop.StartAsync(key);
        Assert.Equal("bank", bank.Text("step"));
        Assert.Equal("Pay by instant EFT", bank.Text("title"));
        Assert.Equal($"Org {merchant.Organisation.Admin.Username}", bank.Text("merchant"));
        Assert.Equal("R99.95", bank.Text("amount"));
        Assert.Equal("order-1", bank.Text("reference"));
        Assert.Equal("Capitec", bank.Text("bank"));
        Assert.Equal(Banks.All, bank.GetProperty("banks").EnumerateArray().Select(b => b.GetString()));

        Assert.Equal("Choose your bank.", await (await shop.PostStepAsync(key, bank, ("bank", "Nowhere Bank"))).ErrorAsync(400));
        var login = await (await shop.PostStepAsync(key, bank, ("bank", "Capitec"))).JsonAsync(200);
        Assert.Equal(("login", "Sign in to Capitec", "Capitec"), (login.Text("step"), login.Text("title"), login.Text("bank")));

        var noPassword = await shop.PostStepAsync(key, login, ("account", "1234567890"));
        Assert.Contains("password", await noPassword.ErrorAsync(400));
        var badAccount = await shop.PostStepAsync(key, login, ("account", "12ab"), ("password", "pw"));
        Assert.Contains("6 to 16 digits", await badAccount.ErrorAsync(400));
        var confirmed = await shop.PostStepAsync(key, login, ("account", "1234567890"), ("password", "s3cret-pa55"));
        var confirmText = await confirmed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cret-pa55", confirmText);
        var confirm = await confirmed.JsonAsync(200);
        Assert.Equal(("confirm", "Confirm your payment", "1234567890"),
            (confirm.Text("step"), confirm.Text("title"), confirm.Text("account")));
        Assert.Equal($"Org {merchant.Organisation.Admin.Username}", confirm.Text("pay_to"));
        Assert.Equal($"R99.95 to Org {merchant.Organisation.Admin.Username} from Capitec account ending 7890.", confirm.Text("subtitle"));

        var done = await (await shop.PostStepAsync(key, confirm)).JsonAsync(200);
        Assert.Equal(("done", "Payment complete"), (done.Text("step"), done.Text("title")));
        var outcome = done.GetProperty("outcome");
        Assert.Equal("complete", outcome.Text("status"));
        Assert.False(outcome.GetProperty("cancelled").GetBoolean());
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(t.Text("id"), outcome.Text("transaction_id"));
        Assert.Equal($"{PageKit.SuccessUrl}?payment_key={key}&transaction_id={t.Text("id")}&status=complete", outcome.Text("redirect_url"));
        Assert.Equal(("complete", "99.95", "EFT"), (t.Text("status"), t.Text("amount"), t.Text("service")));
        Assert.DoesNotContain("s3cret-pa55", string.Join("\n", app.Logs.Lines.Select(l => l.AllText)));
    }

    [Fact]
    public async Task AnEftWithoutFundsFailsAndSendsThePayerToTheErrorUrl()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var shop = EftxKit.Shop(app);

        var done = await (await shop.PostStepAsync(key, await shop.ConfirmAsync(key, "4000000051"))).JsonAsync(200);

        Assert.Equal("Payment failed", done.Text("title"));
        var outcome = done.GetProperty("outcome");
        Assert.Equal(("failed", "Insufficient funds"), (outcome.Text("status"), outcome.Text("reason")));
        Assert.StartsWith(PageKit.ErrorUrl + "?payment_key=" + key, outcome.Text("redirect_url"));
        Assert.Equal("Insufficient funds", (await merchant.Client.TransactionForKeyAsync(key)).Text("reason"));
        // A declined attempt leaves the key open for another try.
        Assert.Equal("bank", (await shop.StartAsync(key)).Text("step"));
    }

    [Theory]
    [InlineData("bank")]
    [InlineData("confirm")]
    public async Task CancelOnAnyStepIsAFailedTransactionCancelledByThePayer(string step)
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var shop = EftxKit.Shop(app);
        var shown = step == "bank" ? await shop.StartAsync(key) : await shop.ConfirmAsync(key, "1234567890");

        var done = await (await shop.PostStepAsync(key, shown, ("action", "cancel"))).JsonAsync(200);

        var outcome = done.GetProperty("outcome");
        Assert.True(outcome.GetProperty("cancelled").GetBoolean());
        Assert.Equal(("failed", HostedPayments.CancelledReason), (outcome.Text("status"), outcome.Text("reason")));
        Assert.StartsWith(PageKit.CancelUrl + "?payment_key=" + key, outcome.Text("redirect_url"));
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(("failed", HostedPayments.CancelledReason, "EFT"), (t.Text("status"), t.Text("reason"), t.Text("service")));
    }

    [Fact]
    public async Task AStepsTokenIsRefusedForAnotherStepOrKeyAndPaysNothing()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var other = await merchant.Client.CreateKeyAsync(reference: "order-2");
        using var shop = EftxKit.Shop(app);
        var bank = await shop.StartAsync(key);
        var confirm = await shop.ConfirmAsync(other, "1234567890");

        // The bank step's token cannot skip to confirm (and so the password), nor pay another key.
        var skipped = await shop.PostStepAsync(key, bank, ("step", "confirm"), ("bank", "FNB"), ("account", "1234567890"));
        Assert.Contains("expired or was not sent from the payment page", await skipped.ErrorAsync(403));
        await (await shop.PostStepAsync(key, confirm)).ErrorAsync(403);
        await (await shop.PostStepAsync(key, bank, ("bank", "FNB"), ("form_token", ""))).ErrorAsync(403);
        await (await shop.PostStepAsync(key, bank, ("step", "done"))).ErrorAsync(403);

        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(other));
    }

    [Fact]
    public async Task UnknownPaidAndCardOnlyKeysAreRefusedWithTheErrorObject()
    {
        using var merchant = await app.MerchantAsync();
        using var shop = EftxKit.Shop(app);
        var unknown = await shop.GetAsync($"/api/eftx?payment_key={new string('a', 32)}");
        Assert.Equal("This payment link is not valid.", await unknown.ErrorAsync(404));
        await (await shop.GetAsync("/api/eftx?payment_key=not-a-key")).ErrorAsync(404);
        await (await shop.GetAsync("/api/eftx")).ErrorAsync(404);

        var cardOnly = await merchant.Client.CreateKeyAsync(extra: ("payment_type", "credit_card"));
        Assert.Contains("credit_card", await (await shop.GetAsync($"/api/eftx?payment_key={cardOnly}")).ErrorAsync(400));
        // Even with a token the gateway signed for it (none is ever handed out for such a key), EFT is refused.
        var signed = new PageGuard(app.Service<PaymentSecrets>(), PageKit.Shop).Token(cardOnly, "bank");
        var post = await shop.PostFormAsync("/api/eftx",
            ("payment_key", cardOnly), ("step", "bank"), ("form_token", signed), ("bank", "FNB"));
        Assert.Contains("credit_card", await post.ErrorAsync(400));

        var paid = await merchant.Client.CreateKeyAsync();
        var confirm = await shop.ConfirmAsync(paid, "1234567890");
        await (await shop.PostStepAsync(paid, confirm)).JsonAsync(200);
        Assert.Contains("already been made", await (await shop.GetAsync($"/api/eftx?payment_key={paid}")).ErrorAsync(409));
        Assert.Contains("already been made", await (await shop.PostStepAsync(paid, confirm)).ErrorAsync(409));
    }

    [Fact]
    public async Task AKeyHeldByACardChallengeIs409AndACancelledLinkIs410()
    {
        using var merchant = await app.MerchantAsync();
        using var shop = EftxKit.Shop(app);
        using var payer = app.Payer();

        // The payer is at the card payment's 3-D Secure challenge: the key is held, so no EFT may start meanwhile.
        var held = await merchant.Client.CreateKeyAsync();
        var bank = await shop.StartAsync(held);
        var card = await (await payer.GetAsync($"/card?payment_key={held}")).HtmlAsync(200);
        (await payer.SubmitAsync(card, ("holder", "A"), ("pan", PaymentKit.Challenge), ("expiry", PaymentKit.Expiry),
            ("cvv", "123"), ("action", "continue"))).RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
        Assert.Contains("in progress", await (await shop.GetAsync($"/api/eftx?payment_key={held}")).ErrorAsync(409));
        Assert.Contains("in progress", await (await shop.PostStepAsync(held, bank, ("bank", "FNB"))).ErrorAsync(409));

        // An express link cancelled by the merchant: its key is gone for the plugin too.
        var link = await (await merchant.Client.PostFormAsync("/api/v1/express/sms",
            ("amount", "5.00"), ("number", "27821112222"))).JsonAsync(200);
        var page = (await payer.GetAsync(new Uri(link.Text("recipient")).PathAndQuery)).Headers.Location!.ToString();
        var key = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(new Uri("http://x"), page).Query)["payment_key"].ToString();
        var started = await shop.StartAsync(key);
        await (await merchant.Client.SendAsync(PaymentKit.FormRequest(HttpMethod.Delete, "/api/v1/express",
            ("id", link.Text("id"))))).JsonAsync(200);
        Assert.Contains("cancelled", await (await shop.GetAsync($"/api/eftx?payment_key={key}")).ErrorAsync(410));
        Assert.Contains("cancelled", await (await shop.PostStepAsync(key, started, ("bank", "FNB"))).ErrorAsync(410));
    }

    [Fact]
    public async Task EveryAnswerIsReadableFromAnyOriginAndNeverCached()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var shop = EftxKit.Shop(app, origin: "https://any-merchant.example");

        var start = await shop.GetAsync($"/api/eftx?payment_key={key}");
        var bank = await start.JsonAsync(200);
        var answers = new[]
        {
            start,
            await shop.PostStepAsync(key, bank, ("bank", "FNB")),
            await shop.PostStepAsync(key, bank), // 400: no bank chosen
            await shop.PostStepAsync(key, bank, ("form_token", "forged")), // 403
            await shop.GetAsync("/api/eftx?payment_key=unknown"), // 404
        };

        Assert.Equal([200, 200, 400, 403, 404], answers.Select(a => (int)a.StatusCode));
        foreach (var answer in answers)
        {
            Assert.Equal("*", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.False(answer.Headers.Contains("Access-Control-Allow-Credentials"));
            Assert.False(answer.Headers.Contains("Set-Cookie"));
            Assert.Equal("no-store", answer.Headers.CacheControl!.ToString());
            Assert.Equal("application/json", answer.Content.Headers.ContentType!.MediaType);
        }
    }

    public static TheoryData<string, string, int> BadBodies => new()
    {
        { "application/x-www-form-urlencoded", "%%%", 403 }, // read leniently, as browsers send it: no step, no token
        { "application/x-www-form-urlencoded", "payment_key=KEY&step=bank", 403 }, // no token
        { "application/x-www-form-urlencoded", "step=bank&form_token=BANK&bank=FNB", 403 }, // no key: the token is not for it
        { "application/x-www-form-urlencoded", "payment_key=KEY&step=bank&form_token=BANK&bank=" + new string('A', 5000), 400 },
        { "application/x-www-form-urlencoded", "payment_key=KEY&step=bank&form_token=BANK&bank=FNB%E2%80%AE", 400 },
        { "application/x-www-form-urlencoded", "payment_key=KEY&step=login&form_token=LOGIN&bank=FNB&account=%00123456&password=x", 400 },
        { "application/x-www-form-urlencoded", "payment_key[]=KEY&step=bank&form_token=BANK", 400 },
        { "application/x-www-form-urlencoded", "payment_key=" + new string('k', 3000), 400 },
        { "application/json", "{\"payment_key\":\"KEY\",\"step\":\"bank\",\"form_token\":\"BANK\",\"bank\":\"\\ud800\"}", 400 },
        { "application/json", "{\"payment_key\":\"KEY\",\"step\":[\"bank\"]}", 400 },
        { "application/json", "[1, 2", 400 },
        { "text/plain", "payment_key=KEY", 415 },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInputIsA4xxErrorObjectNeverA500(string contentType, string body, int status)
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var shop = EftxKit.Shop(app);
        var bank = await shop.StartAsync(key);
        var login = await (await shop.PostStepAsync(key, bank, ("bank", "FNB"))).JsonAsync(200);
        body = body.Replace("KEY", key).Replace("BANK", bank.Text("form_token")).Replace("LOGIN", login.Text("form_token"));

        var response = await shop.SendRawAsync(HttpMethod.Post, "/api/eftx", body, contentType);

        await response.ErrorAsync(status);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));
    }

    [Fact]
    public async Task ABodyOverTheLimitIsA413()
    {
        using var shop = EftxKit.Shop(app);
        var response = await shop.SendRawAsync(HttpMethod.Post, "/api/eftx", "bank=" + new string('x', 2 * 1024 * 1024));
        await response.ErrorAsync(413);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task ThePluginAndItsStylesheetAreServedWithShortPublicCaching()
    {
        using var client = app.CreateClient();
        foreach (var (path, type, marker) in new[]
        {
            ("/js/eft-secure.min.js", "application/javascript", "window.Eftx = Eftx;"),
            ("/css/eftx.css", "text/css", ".eft.modal {"),
        })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
            Assert.Equal("public, max-age=300", response.Headers.CacheControl!.ToString());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains(marker, await response.Content.ReadAsStringAsync());
        }
    }
}

/// <summary>Expiry needs the clock moved: a key lives at least 5 minutes.</summary>
public sealed class EftxExpiryTests(ClockedGatewayApp app) : IClassFixture<ClockedGatewayApp>
{
    [Fact]
    public async Task AnExpiredKeyIsA410OnEveryStep()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var shop = EftxKit.Shop(app);
        var confirm = await shop.ConfirmAsync(key, "1234567890");

        app.Clock!.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        Assert.Contains("expired", await (await shop.GetAsync($"/api/eftx?payment_key={key}")).ErrorAsync(410));
        Assert.Contains("expired", await (await shop.PostStepAsync(key, confirm)).ErrorAsync(410));
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));
    }
}

/// <summary>The plugin's calls, as a merchant's page in a browser makes them: with its Origin, no credentials.</summary>
internal static class EftxKit
{
    public static HttpClient Shop(GatewayApp app, string origin = PageKit.Shop)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("Origin", origin);
        client.DefaultRequestHeaders.Add("Sec-Fetch-Site", "cross-site");
        return client;
    }

    public static async Task<JsonElement> StartAsync(this HttpClient shop, string key) =>
        await (await shop.GetAsync($"/api/eftx?payment_key={key}")).JsonAsync(200);

    /// <summary>Posts the step <paramref name="shown"/> answered, carrying back what it gave, plus the fields.</summary>
    public static Task<HttpResponseMessage> PostStepAsync(this HttpClient shop, string key, JsonElement shown,
        params (string Key, string Value)[] fields)
    {
        var carried = new List<(string Key, string Value)>
        {
            ("payment_key", key), ("step", shown.Text("step")), ("form_token", shown.Text("form_token")), ("action", "continue"),
        };
        foreach (var name in new[] { "bank", "account" })
        {
            if (shown.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                carried.Add((name, value.GetString()!));
            }
        }
        return shop.PostFormAsync("/api/eftx", [.. carried.Where(c => fields.All(f => f.Key != c.Key)), .. fields]);
    }

    public static async Task<JsonElement> ConfirmAsync(this HttpClient shop, string key, string account)
    {
        var bank = await shop.StartAsync(key);
        var login = await (await shop.PostStepAsync(key, bank, ("bank", "FNB"))).JsonAsync(200);
        return await (await shop.PostStepAsync(key, login, ("account", account), ("password", "pw"))).JsonAsync(200);
    }
}
