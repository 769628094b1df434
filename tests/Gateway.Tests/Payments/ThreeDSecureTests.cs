using System.Text.Json;
using Gateway.Tests.Cards;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Tests.Payments;

/// <summary>
/// The organisation's 3-D Secure setting (<c>three_d_secure</c>: off, when_required, always) and a token payment's
/// <c>card_token_3ds</c>, with the documents' "3Ds enabled" examples (future expiry dates) run as they are written.
/// </summary>
public sealed class ThreeDSecureTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private const string FutureExpiry = "1230";

    private async Task<Merchant> MerchantWithAsync(string? setting)
    {
        var merchant = await app.MerchantAsync();
        if (setting is not null)
        {
            var view = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
                ("Organisation[three_d_secure]", setting))).JsonAsync(200);
            Assert.Equal(setting, view.Text("three_d_secure"));
        }
        return merchant;
    }

    /// <summary>The payer passes the simulated challenge at the redirect; returns where the page sends them.</summary>
    private async Task<string> PassChallengeAsync(JsonElement redirect)
    {
        Assert.Equal(["type", "redirect_url", "gateway_transaction_id"], redirect.Keys());
        Assert.Equal("3ds_redirect", redirect.Text("type"));
        using var payer = app.Payer();
        var url = new Uri(redirect.Text("redirect_url"));
        var html = await (await payer.GetAsync(url.PathAndQuery)).HtmlAsync(200);
        var done = await payer.SubmitAsync(html, ("result", "pass"));
        return done.Headers.Location!.ToString();
    }

    [Fact]
    public async Task WithThreeDSecureAlwaysTheDocumentsDirectAndAuthExamplesAnswer3dsRedirect()
    {
        using var merchant = await MerchantWithAsync("always");

        // cURL: 3Ds enabled Card/Payment (pay/direct).
        var direct = await (await merchant.Client.PostFormAsync("/api/v1/pay/direct", ("amount", "1.00"),
            ("merchant_reference", "yourReference"), ("pan", "4242424242424242"), ("expiry", FutureExpiry), ("cvv", "123"),
            ("first_name", "John"), ("last_name", "Doe"), ("return_url", "http://myreturnurl.com"))).JsonAsync(200);
        var id = long.Parse(direct.Text("gateway_transaction_id"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("pending", (await merchant.Client.ViewAsync(id)).Text("status"));
        Assert.StartsWith("http://myreturnurl.com/?", await PassChallengeAsync(direct));
        Assert.Equal("complete", (await merchant.Client.ViewAsync(id)).Text("status"));

        // Authorisation example (3D secure) (pay/auth).
        var auth = await (await merchant.Client.PostFormAsync("/api/v1/pay/auth", ("amount", "10.00"),
            ("merchant_reference", "yourReference"), ("pan", "5412830000965153"), ("expiry", FutureExpiry), ("cvv", "314"),
            ("return_url", "http://myreturnurl.com"))).JsonAsync(200);
        Assert.Contains("status=authorised", await PassChallengeAsync(auth));

        // Always means every card payment: without a way back the payment fails and says why; declines stay declines.
        var noWayBack = (await merchant.Client.PayAsync()).Transaction();
        Assert.Equal("failed", noWayBack.Text("status"));
        Assert.Contains("return_url", noWayBack.Text("reason"));
        var declined = (await merchant.Client.PayAsync(pan: "4000000000000002", extra: ("return_url", "https://shop.test/back")))
            .Transaction();
        Assert.Equal("Card declined", declined.Text("reason"));
    }

    [Fact]
    public async Task WithThreeDSecureAlwaysTheDocumentsTokenExampleAnswers3dsRedirectUnlessTheRequestTurnsItOff()
    {
        using var merchant = await MerchantWithAsync("always");
        var guid = (await merchant.Client.StoreCardAsync("tok-3ds")).Text("guid");

        // Authorisation example paying with a token (With 3D secure).
        var challenged = await (await merchant.Client.PayTokenAsync(guid, "auth", "1.00", "yourReference",
            ("is_authorisation", "1"), ("pending_url", "https://mypendingurl.com"))).JsonAsync(200);
        Assert.Contains("status=authorised", await PassChallengeAsync(challenged));

        var off = await (await merchant.Client.PayTokenAsync(guid, "pay", extra: [("card_token_3ds", "0"),
            ("pending_url", "https://mypendingurl.com")])).JsonAsync(200);
        Assert.Equal(CardKit.PayShape, off.Keys());
        Assert.Equal(1, off.GetProperty("success").GetInt32());
    }

    [Fact]
    public async Task ByDefaultOnlyCardsThatRequireItAreChallengedAndCardToken3dsOverridesPerPayment()
    {
        using var merchant = await MerchantWithAsync(null);
        var view = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("when_required", view.Text("three_d_secure"));

        var plain = (await merchant.Client.PayAsync(extra: ("return_url", "http://myreturnurl.com"))).Transaction();
        Assert.Equal("complete", plain.Text("status"));
        var challenge = await merchant.Client.PayAsync(PaymentKit.Challenge, extra: ("return_url", "http://myreturnurl.com"));
        Assert.Equal("3ds_redirect", challenge.Text("type"));

        // card_token_3ds=1 asks for it on a card that would not; =0 refuses it on one that requires it.
        var approved = (await merchant.Client.StoreCardAsync("tok-default")).Text("guid");
        var asked = await (await merchant.Client.PayTokenAsync(approved, extra: [("card_token_3ds", "1"),
            ("pending_url", "https://mypendingurl.com")])).JsonAsync(200);
        Assert.Equal("3ds_redirect", asked.Text("type"));
        var requires = (await merchant.Client.StoreCardAsync("tok-requires", PaymentKit.Challenge)).Text("guid");
        var refused = await (await merchant.Client.PayTokenAsync(requires, extra: [("card_token_3ds", "0"),
            ("pending_url", "https://mypendingurl.com")])).JsonAsync(200);
        Assert.Equal(0, refused.GetProperty("success").GetInt32());
        Assert.Contains("card_token_3ds=0", refused.Text("reason"));
        await (await merchant.Client.PayTokenAsync(approved, extra: ("card_token_3ds", "yes"))).ErrorAsync(400);
    }

    [Fact]
    public async Task WithThreeDSecureOffACardThatRequiresItIsDeclinedAndTheHostedPageFollowsTheSetting()
    {
        using var off = await MerchantWithAsync("off");
        var t = (await off.Client.PayAsync(PaymentKit.Challenge, extra: ("return_url", "https://shop.test/back"))).Transaction();
        Assert.Equal("failed", t.Text("status"));
        Assert.Contains("three_d_secure=off", t.Text("reason"));
        Assert.Equal("complete", (await off.Client.PayAsync()).Transaction().Text("status"));

        // The hosted card page: always sends an everyday card to the challenge page first.
        using var always = await MerchantWithAsync("always");
        var key = await always.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var posted = await payer.SubmitAsync(form, ("holder", "A"), ("pan", PaymentKit.Approved), ("expiry", FutureExpiry),
            ("cvv", "123"), ("action", "continue"));
        var challenge = posted.RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
        var page = await (await payer.GetAsync(QueryHelpers.AddQueryString("/gatewaytransactions/3ds/", challenge!))).HtmlAsync(200);
        Assert.Equal("complete", (await payer.SubmitAsync(page, ("result", "pass"))).RedirectsTo(PageKit.SuccessUrl)["status"]);

        // The setting takes only its three values, and is named when wrong.
        var error = await (await always.Client.PutFormAsync($"/api/v1/organisation/{always.Id}",
            ("Organisation[three_d_secure]", "sometimes"))).ErrorAsync(400);
        Assert.Contains("Organisation[three_d_secure]", error);
    }
}
