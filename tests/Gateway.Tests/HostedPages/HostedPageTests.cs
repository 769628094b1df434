using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.HostedPages;

/// <summary>The hosted pages over HTTP, as a payer's browser uses them: headers, errors, forms and where they lead.</summary>
public sealed class HostedPageTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task EveryPageIsHtmlWithAStrictPolicyAndNoCaching()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();

        foreach (var url in new[] { $"/eft?payment_key={key}", $"/card?payment_key={key}", "/receipt?status=complete&transaction_id=1" })
        {
            var response = await payer.GetAsync(url);
            var html = await response.HtmlAsync(200);
            var csp = response.Csp();
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("base-uri 'none'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("script-src", csp); // these pages have no script
            Assert.DoesNotContain("<script", html);
            var nonce = Regex.Match(csp, "style-src 'nonce-([^']+)'").Groups[1].Value;
            Assert.NotEmpty(nonce);
            Assert.Contains($"<style nonce=\"{nonce}\">", html);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.DoesNotContain("http://", Regex.Replace(html, "http://localhost:7071", ""));
            Assert.DoesNotContain("https://", html.Replace("https://shop.test", "")); // no external assets
        }

        // The payment pages' forms may be redirected to the merchant's URLs (Chromium checks form-action there too).
        var eft = await payer.GetAsync($"/eft?payment_key={key}");
        Assert.Contains($"form-action 'self' {PageKit.Shop} http://localhost:7071;", eft.Csp());
        var nonces = (await payer.GetAsync($"/eft?payment_key={key}")).Csp();
        Assert.NotEqual(eft.Csp(), nonces); // a new nonce each time
    }

    [Fact]
    public async Task InCheckoutModeOnlyTheOriginsOfTheKeysOwnUrlsMayFrameItsPages()
    {
        using var merchant = await app.MerchantAsync();
        using var payer = app.Payer();
        var shop = await merchant.Client.CreateKeyAsync();
        foreach (var page in new[] { "card", "eft" })
        {
            Assert.EndsWith($"frame-ancestors {PageKit.Shop}", await FramingAsync(payer, $"/{page}?payment_key={shop}&checkout=1", 200));
            Assert.EndsWith("frame-ancestors 'none'", await FramingAsync(payer, $"/{page}?payment_key={shop}", 200));
        }

        // Each distinct origin of the key's URLs, port included, and nothing else.
        var split = await KeyAsync(merchant, ("success_url", "https://a.test/ok"), ("error_url", "https://b.test:8443/no"),
            ("cancel_url", "https://a.test/cancel"));
        Assert.EndsWith("frame-ancestors https://a.test https://b.test:8443",
            await FramingAsync(payer, $"/card?payment_key={split}&checkout=1", 200));

        // A key set up without URLs is not for the widget: checkout=1 added to its link frames nothing.
        var bare = await KeyAsync(merchant);
        Assert.EndsWith("frame-ancestors 'none'", await FramingAsync(payer, $"/card?payment_key={bare}&checkout=1", 200));
        Assert.EndsWith("frame-ancestors 'none'", await FramingAsync(payer, $"/eft?payment_key={bare}&checkout=1", 200));

        // In the frame, the payer still sees why a paid key cannot be paid again; an unknown key frames nothing.
        await payer.SubmitAsync(await (await payer.GetAsync($"/card?payment_key={shop}")).HtmlAsync(200),
            ("holder", "A"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue"));
        Assert.EndsWith($"frame-ancestors {PageKit.Shop}", await FramingAsync(payer, $"/card?payment_key={shop}&checkout=1", 409));
        Assert.EndsWith("frame-ancestors 'none'",
            await FramingAsync(payer, "/card?payment_key=0123456789abcdef0123456789abcdef&checkout=1", 404));
        Assert.EndsWith("frame-ancestors 'none'", await FramingAsync(payer, "/receipt?checkout=1&status=complete", 400));
        Assert.EndsWith("frame-ancestors 'none'", await FramingAsync(payer, "/receipt?status=complete", 200));
    }

    private static async Task<string> FramingAsync(HttpClient payer, string url, int status)
    {
        var response = await payer.GetAsync(url);
        await response.HtmlAsync(status);
        return response.Csp();
    }

    private static async Task<string> KeyAsync(Merchant merchant, params (string, string)[] urls)
    {
        var response = await merchant.Client.PostFormAsync("/api/v1/payment-key", [("amount", "5.00"), ("merchant_reference", "f"), .. urls]);
        return (await response.JsonAsync(200)).GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task UnknownKeysAndSessionsAre404PagesNotTheApiErrorObject()
    {
        using var payer = app.Payer();
        foreach (var url in new[]
        {
            "/eft?payment_key=0123456789abcdef0123456789abcdef", "/card?payment_key=nonsense", "/eft",
            "/gatewaytransactions/3ds/?transactionID=5&session=0123456789abcdef0123456789abcdef",
        })
        {
            var html = await (await payer.GetAsync(url)).HtmlAsync(404);
            Assert.Contains("not valid", html);
            Assert.DoesNotContain("yii", html);
        }
    }

    [Fact]
    public async Task APaidKeyIsA409PageAndCannotBePaidAgain()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        (await payer.SubmitAsync(form, Card(PaymentKit.Approved))).RedirectsTo(PageKit.SuccessUrl);

        Assert.Contains("already been made", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(409));
        Assert.Contains("already been made", await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(409));
        // The old form, sent again (back button), pays nothing twice.
        Assert.Contains("already been made", await (await payer.SubmitAsync(form, Card(PaymentKit.Approved))).HtmlAsync(409));
    }

    [Fact]
    public async Task PostsWithoutTheFormsTokenOrFromAnotherSiteAreRefusedAndPayNothing()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var otherKey = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var otherForm = await (await payer.GetAsync($"/card?payment_key={otherKey}")).HtmlAsync(200);

        var url = $"/card?payment_key={key}";
        await (await payer.PostFormAsync(url, [("step", "card"), .. Card(PaymentKit.Approved)])).HtmlAsync(403);
        await (await payer.PostFormAsync(url, [("step", "card"), ("form_token", "00" + PageKit.Field(form, "form_token")[2..]), .. Card(PaymentKit.Approved)])).HtmlAsync(403);
        // A token is for one key: another key's form cannot pay this one.
        await (await payer.PostFormAsync(url, [("step", "card"), ("form_token", PageKit.Field(otherForm, "form_token")), .. Card(PaymentKit.Approved)])).HtmlAsync(403);

        foreach (var (header, value) in new[] { ("Origin", "https://evil.test"), ("Origin", "null"), ("Sec-Fetch-Site", "cross-site") })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new FormUrlEncodedContent([new("step", "card"), new("form_token", PageKit.Field(form, "form_token")),
                    .. Card(PaymentKit.Approved).Select(f => KeyValuePair.Create(f.Key, f.Value))]),
            };
            request.Headers.Add(header, value);
            Assert.Contains("payment page", await (await payer.SendAsync(request)).HtmlAsync(403));
        }
        // EFT too: the cancel button is a post like any other, and a token from the card form does not fit it.
        var eft = await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);
        await (await payer.PostFormAsync($"/eft?payment_key={key}", ("step", "bank"), ("action", "cancel"))).HtmlAsync(403);
        await (await payer.PostFormAsync($"/eft?payment_key={key}", ("step", "bank"), ("action", "cancel"),
            ("form_token", PageKit.Field(form, "form_token")))).HtmlAsync(403);

        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));
        // The same forms, sent from the page itself (same origin), still work.
        var sameOrigin = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent([new("step", "card"), new("form_token", PageKit.Field(form, "form_token")),
                .. Card(PaymentKit.Approved).Select(f => KeyValuePair.Create(f.Key, f.Value))]),
        };
        sameOrigin.Headers.Add("Origin", "http://localhost:7071");
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        (await payer.SendAsync(sameOrigin)).RedirectsTo(PageKit.SuccessUrl);
        Assert.Contains("form_token", eft);
    }

    [Fact]
    public async Task MerchantTextIsEscapedEverywhereItIsShown()
    {
        const string evil = "<script>alert(1)</script>\"'&";
        using var merchant = await app.MerchantAsync();
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[name]", "Shop " + evil))).JsonAsync(200);
        var key = await merchant.Client.CreateKeyAsync(reference: evil, extra: ("customer_reference", evil));
        using var payer = app.Payer();

        var escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
        var card = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var eft = await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);
        var login = await (await payer.SubmitAsync(eft, ("bank", "FNB"), ("action", "continue"))).HtmlAsync(200);
        var confirm = await (await payer.SubmitAsync(login, ("account", "12345678"), ("password", "hunter2"), ("action", "continue"))).HtmlAsync(200);
        foreach (var html in new[] { card, eft, login, confirm })
        {
            Assert.DoesNotContain("<script>", html);
            Assert.Contains($"<dd class=\"reference\">{escaped}</dd>", html);
            Assert.Contains($"<dd class=\"merchant\">Shop {escaped}</dd>", html);
        }
        Assert.Equal(3, Regex.Matches(card, Regex.Escape(escaped)).Count); // organisation name, merchant and customer references

        var receipt = await (await payer.GetAsync("/receipt?status=" + Uri.EscapeDataString(evil))).HtmlAsync(200);
        Assert.Contains($"<dd class=\"status\">{escaped}</dd>", receipt);
    }

    [Fact]
    public async Task AnInvalidCardIsShownNextToTheFormWithoutEchoingTheNumberOrCvv()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        var luhn = await (await payer.SubmitAsync(form, ("holder", "Ann Payer"), ("pan", "4242424242424241"), ("expiry", "1230"), ("cvv", "987"), ("action", "continue"))).HtmlAsync(400);
        Assert.Contains("Card number is not a valid card number.", luhn);
        Assert.Contains("value=\"Ann Payer\"", luhn);
        Assert.DoesNotContain("4242424242424241", luhn);
        AssertNoCardEchoed(luhn);

        var expired = await (await payer.SubmitAsync(luhn, ("holder", "Ann Payer"), ("pan", "4242 4242 4242 4242"), ("expiry", "0120"), ("cvv", "987"), ("action", "continue"))).HtmlAsync(400);
        Assert.Contains("Expiry date is in the past", expired);
        Assert.DoesNotContain("4242 4242", expired);
        AssertNoCardEchoed(expired);
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(key));

        // The payer corrects it on the re-rendered form and pays.
        (await payer.SubmitAsync(expired, Card(PaymentKit.Approved))).RedirectsTo(PageKit.SuccessUrl);
    }

    [Fact]
    public async Task AnApprovedCardRedirectsToTheSuccessUrlWithTheOutcome()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "25.50");
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}&remember_card=1")).HtmlAsync(200);
        Assert.Contains("name=\"remember_card\" value=\"1\" checked", form);

        var query = (await payer.SubmitAsync(form, Card(PaymentKit.Approved))).RedirectsTo(PageKit.SuccessUrl);
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(key, query["payment_key"]);
        Assert.Equal(t.Text("id"), query["transaction_id"]);
        Assert.Equal("complete", query["status"]);
        Assert.Equal("complete", t.Text("status"));
        Assert.Equal("25.50", t.Text("amount"));
        Assert.Equal("424242******4242", t.GetProperty("gateway_response_parameters").Text("card"));
    }

    [Fact]
    public async Task ADeclinedCardGoesToTheErrorUrlAndTheKeyCanBePaidAfterwards()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        var declined = (await payer.SubmitAsync(form, Card("4000000000000002"))).RedirectsTo(PageKit.ErrorUrl);
        Assert.Equal("failed", declined["status"]);
        Assert.Equal("Card declined", (await merchant.Client.ViewAsync(long.Parse(declined["transaction_id"]))).Text("reason"));

        var again = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var paid = (await payer.SubmitAsync(again, Card(PaymentKit.Approved))).RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("complete", (await merchant.Client.ViewAsync(long.Parse(paid["transaction_id"]))).Text("status"));
    }

    [Fact]
    public async Task ThreeDSecureChallengeOnTheCardPagePassesToTheSuccessUrl()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        var challenge = (await payer.SubmitAsync(form, Card(PaymentKit.Challenge))).RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
        var page = await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID={challenge["transactionID"]}&session={challenge["session"]}");
        var html = await page.HtmlAsync(200);
        Assert.Contains($"form-action 'self' {PageKit.Shop}", page.Csp());
        Assert.Equal("pending", (await merchant.Client.TransactionForKeyAsync(key)).Text("status"));
        // A session is bound to its transaction.
        await (await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID=1&session={challenge["session"]}")).HtmlAsync(404);

        var done = (await payer.SubmitAsync(html, ("result", "pass"))).RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("complete", done["status"]);
        Assert.Equal("complete", (await merchant.Client.TransactionForKeyAsync(key)).Text("status"));
        // Coming back to the challenge afterwards leads to the same outcome.
        (await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID={challenge["transactionID"]}&session={challenge["session"]}"))
            .RedirectsTo(PageKit.SuccessUrl);
    }

    [Theory]
    [InlineData("direct", "pass", "complete")]
    [InlineData("direct", "fail", "failed")]
    [InlineData("auth", "pass", "authorised")]
    public async Task ServerToServerChallengesEndAtTheReturnUrl(string path, string answer, string status)
    {
        using var merchant = await app.MerchantAsync();
        var redirect = await merchant.Client.PayAsync(PaymentKit.Challenge, path: path, extra: ("return_url", "https://shop.test/back?order=9"));
        Assert.Equal("3ds_redirect", redirect.Text("type"));
        using var payer = app.Payer();
        var html = await (await payer.GetAsync(new Uri(redirect.Text("redirect_url")).PathAndQuery)).HtmlAsync(200);

        var back = (await payer.SubmitAsync(html, ("result", answer))).RedirectsTo("https://shop.test/back");
        Assert.Equal("9", back["order"]);
        Assert.Equal(status, back["status"]);
        Assert.Equal(redirect.Text("gateway_transaction_id"), back["transaction_id"]);
        var t = await merchant.Client.ViewAsync(long.Parse(back["transaction_id"]));
        Assert.Equal(status, t.Text("status"));
        Assert.Equal(answer == "pass" ? "00" : "05", t.GetProperty("gateway_response_parameters").Text("responseCode"));
    }

    /// <summary>The number and CVV inputs come back empty (keys, tokens and nonces are hex, so digits alone prove nothing).</summary>
    private static void AssertNoCardEchoed(string html)
    {
        Assert.Matches("<input type=\"text\" id=\"pan\" name=\"pan\" [^>]*required>", html);
        Assert.DoesNotMatch("id=\"(pan|cvv)\"[^>]*value=", html);
        Assert.DoesNotContain("\"987\"", html);
    }

    private static (string Key, string Value)[] Card(string pan) =>
        [("holder", "Ann Payer"), ("pan", pan), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue")];
}
