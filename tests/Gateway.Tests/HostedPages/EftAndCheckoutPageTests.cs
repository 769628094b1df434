using System.Net;
using System.Text.RegularExpressions;
using Gateway.Payments;
using Gateway.Tests.Identity;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.HostedPages;

public sealed class EftAndCheckoutPageTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task TheEftStepsLeadFromBankToSignInToConfirmAndPay()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "99.95", extra: ("customer_bank", "capitec"));
        using var payer = app.Payer();

        var bank = await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);
        Assert.Contains("<option value=\"Capitec\" selected>", bank);
        Assert.Contains($"href=\"/card?payment_key={key}\"", bank); // no payment type set: a card is offered too

        Assert.Contains("Choose your bank", await (await payer.SubmitAsync(bank, ("bank", "Nowhere Bank"), ("action", "continue"))).HtmlAsync(400));
        var login = await (await payer.SubmitAsync(bank, ("bank", "Capitec"), ("action", "continue"))).HtmlAsync(200);
        Assert.Equal("Capitec", PageKit.Field(login, "bank"));
        Assert.Contains("type=\"password\"", login);

        var noPassword = await (await payer.SubmitAsync(login, ("account", "1234567890"), ("action", "continue"))).HtmlAsync(400);
        Assert.Contains("password", noPassword);
        var confirm = await (await payer.SubmitAsync(noPassword, ("account", "1234567890"), ("password", "s3cret-pa55"), ("action", "continue"))).HtmlAsync(200);
        Assert.DoesNotContain("s3cret-pa55", confirm);
        Assert.Equal("1234567890", PageKit.Field(confirm, "account"));
        Assert.Contains("R99.95", confirm);
        Assert.Contains($"<dd class=\"beneficiary\">Org {merchant.Organisation.Admin.Username}</dd>", confirm);
        Assert.DoesNotContain("s3cret-pa55", string.Join("\n", app.Logs.Lines.Select(l => l.AllText)));

        var query = (await payer.SubmitAsync(confirm, ("action", "continue"))).RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("complete", query["status"]);
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal("complete", t.Text("status"));
        Assert.Equal("99.95", t.Text("amount"));
        Assert.Equal("EFT", t.Text("service"));
    }

    [Fact]
    public async Task AnEftWithoutFundsGoesToTheErrorUrl()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var confirm = await ConfirmPageAsync(payer, key, "4000000051");

        Assert.Equal("failed", (await payer.SubmitAsync(confirm, ("action", "continue"))).RedirectsTo(PageKit.ErrorUrl)["status"]);
        Assert.Equal("Insufficient funds", (await merchant.Client.TransactionForKeyAsync(key)).Text("reason"));
    }

    [Theory]
    [InlineData("eft")]
    [InlineData("card")]
    public async Task CancelGoesToTheCancelUrlAndRecordsAFailedTransaction(string page)
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var html = page == "eft" ? await ConfirmPageAsync(payer, key, "1234567890")
            : await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        var query = (await payer.SubmitAsync(html, ("action", "cancel"))).RedirectsTo(PageKit.CancelUrl);
        Assert.Equal("failed", query["status"]);
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal("failed", t.Text("status"));
        Assert.Equal(HostedPayments.CancelledReason, t.Text("reason"));
        Assert.Equal(page == "eft" ? "EFT" : "Credit Card", t.Text("service"));
        // Cancelling leaves the key open: the payer may still pay.
        await (await payer.GetAsync($"/{page}?payment_key={key}")).HtmlAsync(200);
    }

    [Fact]
    public async Task EachPageSendsAKeyForTheOtherPaymentTypeToItsOwnPage()
    {
        using var merchant = await app.MerchantAsync();
        var cardKey = await merchant.Client.CreateKeyAsync(extra: ("payment_type", "credit_card"));
        var eftKey = await merchant.Client.CreateKeyAsync(extra: ("payment_type", "eft"));
        using var payer = app.Payer();

        var toCard = await payer.GetAsync($"/eft?payment_key={cardKey}&checkout=1&remember_card=1");
        Assert.Equal(HttpStatusCode.SeeOther, toCard.StatusCode);
        Assert.Equal($"/card?payment_key={cardKey}&checkout=1&remember_card=1", toCard.Headers.Location!.ToString());
        var toEft = await payer.GetAsync($"/card?payment_key={eftKey}");
        Assert.Equal($"/eft?payment_key={eftKey}", toEft.Headers.Location!.ToString());
        Assert.DoesNotContain("/card?", await (await payer.GetAsync($"/eft?payment_key={eftKey}")).HtmlAsync(200));
    }

    [Fact]
    public async Task InCheckoutModeTheFlowEndsOnAGatewayPageThatHandsTheSignedUrlToTheWidget()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}&checkout=1")).HtmlAsync(200);

        var handOver = (await payer.SubmitAsync(form, ("holder", "A"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue")))
            .RedirectsTo("http://localhost:7071/receipt");
        Assert.StartsWith(PageKit.SuccessUrl + "?payment_key=" + key, handOver["next"]);
        Assert.Equal(key, handOver["payment_key"]);
        var receiptUrl = ReceiptUrl(handOver);
        var response = await payer.GetAsync(receiptUrl);
        var html = await response.HtmlAsync(200);
        var nonce = Regex.Match(response.Csp(), "script-src 'nonce-([^']+)'").Groups[1].Value;
        Assert.Contains($"<script nonce=\"{nonce}\">", html);
        Assert.EndsWith($"frame-ancestors {PageKit.Shop}", response.Csp()); // the key's merchant origin, nobody else
        Assert.Contains("eftsec.checkout.complete", html);
        Assert.Contains($"<a id=\"next\" href=\"{WebUtility.HtmlEncode(handOver["next"])}\" target=\"_top\">", html);

        // Only a URL the gateway signed is handed over, for the payment it finished: anyone can link to this page.
        var forged = ReceiptUrl(new(handOver) { ["next"] = "javascript:alert(1)" });
        Assert.DoesNotContain("javascript:", await (await payer.GetAsync(forged)).HtmlAsync(400));
        var otherKey = await merchant.Client.CreateKeyAsync();
        await (await payer.GetAsync(ReceiptUrl(new(handOver) { ["payment_key"] = otherKey }))).HtmlAsync(400);
        var later = long.Parse(handOver["expires"], System.Globalization.CultureInfo.InvariantCulture) + 3600;
        await (await payer.GetAsync(ReceiptUrl(new(handOver) { ["expires"] = $"{later}" }))).HtmlAsync(400);
    }

    /// <summary>The checkout hand-over page for these query values.</summary>
    internal static string ReceiptUrl(Dictionary<string, string> query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/receipt", query!);

    [Fact]
    public async Task TheCheckoutScriptIsServedAsJavaScriptAndDefinesInit()
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync("/ext/checkout/v3/checkout.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl!.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var script = await response.Content.ReadAsStringAsync();
        Assert.Contains("window.eftSec.checkout = { init: init, close: close };", script);
        Assert.Contains("event.origin !== origin", script);
        Assert.Contains("getElementById('og-checkout')", script);
    }

    private static async Task<string> ConfirmPageAsync(HttpClient payer, string key, string account)
    {
        var bank = await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);
        var login = await (await payer.SubmitAsync(bank, ("bank", "FNB"), ("action", "continue"))).HtmlAsync(200);
        return await (await payer.SubmitAsync(login, ("account", account), ("password", "pw"), ("action", "continue"))).HtmlAsync(200);
    }
}

/// <summary>Expiry needs the clock moved: a key lives at least 5 minutes.</summary>
public sealed class ExpiredKeyPageTests(ClockedGatewayApp app) : IClassFixture<ClockedGatewayApp>
{
    [Fact]
    public async Task TheCheckoutHandOverExpires()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}&checkout=1")).HtmlAsync(200);
        var handOver = (await payer.SubmitAsync(form, ("holder", "A"), ("pan", PaymentKit.Approved),
                ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue")))
            .RedirectsTo("http://localhost:7071/receipt");
        var receipt = EftAndCheckoutPageTests.ReceiptUrl(handOver);
        await (await payer.GetAsync(receipt)).HtmlAsync(200);

        app.Clock!.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));

        Assert.Contains("expired", await (await payer.GetAsync(receipt)).HtmlAsync(410));
    }

    [Fact]
    public async Task AnExpiredKeyIsA410PageOnEveryStep()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        app.Clock!.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        Assert.Contains("expired", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(410));
        Assert.Contains("expired", await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(410));
        await (await payer.SubmitAsync(form, ("pan", PaymentKit.Approved), ("expiry", "1240"), ("cvv", "123"), ("action", "continue"))).HtmlAsync(410);
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));
    }
}
