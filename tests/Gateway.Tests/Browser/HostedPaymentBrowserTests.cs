using System.Text.RegularExpressions;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>
/// A payer in headless Chromium on the hosted pages, end to end: the gateway on a real port, the merchant's site
/// (https://shop.test) answered by the browser itself, so nothing leaves the machine. Each flow is then checked the
/// way a merchant should check it: the transaction's status and amount from the API.
/// </summary>
public sealed class HostedPaymentBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    [Fact]
    public async Task A_card_payment_is_approved_and_lands_on_the_merchants_success_url()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "25.50");
        var page = await PayerAsync();

        await page.GotoAsync($"/card?payment_key={key}");
        await FillCardAsync(page, PaymentKit.Approved);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay R25.50" }).ClickAsync();

        await page.WaitForURLAsync(Landing(PageKit.SuccessUrl));
        Assert.Contains($"payment_key={key}", page.Url);
        Assert.Contains("status=complete", page.Url);
        await AssertTransactionAsync(merchant, key, "complete", "25.50");
        Assert.Empty(Violations(page));
    }

    [Theory]
    [InlineData("Pass", "complete")]
    [InlineData("Fail", "failed")]
    public async Task A_3d_secure_challenge_decides_the_card_payment(string answer, string status)
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "12.00");
        var page = await PayerAsync();

        await page.GotoAsync($"/card?payment_key={key}");
        await FillCardAsync(page, PaymentKit.Challenge);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay R12.00" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/gatewaytransactions/3ds/\\?"));
        await Expect(page.Locator("dd.amount")).ToHaveTextAsync("R12.00");
        await AssertTransactionAsync(merchant, key, "pending", "12.00");

        await page.GetByRole(AriaRole.Button, new() { Name = answer, Exact = true }).ClickAsync();

        await page.WaitForURLAsync(Landing(status == "complete" ? PageKit.SuccessUrl : PageKit.ErrorUrl));
        Assert.Contains($"status={status}", page.Url);
        await AssertTransactionAsync(merchant, key, status, "12.00");
        Assert.Empty(Violations(page));
    }

    [Fact]
    public async Task An_eft_is_approved_through_bank_sign_in_and_confirmation()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "150.00");
        var page = await PayerAsync();

        await page.GotoAsync($"/eft?payment_key={key}");
        await page.GetByLabel("Your bank").SelectOptionAsync("Nedbank");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Sign in to Nedbank");
        await page.GetByLabel("Account number").FillAsync("1234567890");
        await page.GetByLabel("Internet banking password").FillAsync("correct horse");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Confirm your payment");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("correct horse");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay R150.00" }).ClickAsync();

        await page.WaitForURLAsync(Landing(PageKit.SuccessUrl));
        Assert.Contains("status=complete", page.Url);
        await AssertTransactionAsync(merchant, key, "complete", "150.00");
        Assert.Empty(Violations(page));
    }

    [Fact]
    public async Task Cancel_returns_to_the_merchants_cancel_url()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "8.00");
        var page = await PayerAsync();

        await page.GotoAsync($"/eft?payment_key={key}");
        // Cancel needs no bank chosen: it skips the form's own checks.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await page.WaitForURLAsync(Landing(PageKit.CancelUrl));
        var t = await AssertTransactionAsync(merchant, key, "failed", "8.00");
        Assert.Equal("Cancelled by payer", t.Text("reason"));
    }

    [Fact]
    public async Task The_checkout_widget_takes_the_payment_in_a_frame_and_sends_the_merchants_page_to_success()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "42.00");
        var page = await PayerAsync(checkoutKey: key);

        await page.GotoAsync($"{PageKit.Shop}/checkout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay" }).ClickAsync();

        await Expect(page.Locator("#loaded")).ToHaveTextAsync("widget loaded"); // onLoad ran once the frame loaded
        var frame = page.FrameLocator("iframe");
        await Expect(frame.Locator("dd.amount")).ToHaveTextAsync("R42.00");
        // cardOptions.rememberCard: true offers it, rememberCardDefaultValue: 1 ticks it.
        await Expect(frame.GetByLabel("Remember this card")).ToBeCheckedAsync();
        await FillCardAsync(frame, PaymentKit.Approved);
        await frame.GetByRole(AriaRole.Button, new() { Name = "Pay R42.00" }).ClickAsync();

        await page.WaitForURLAsync(Landing(PageKit.SuccessUrl));
        Assert.Contains("status=complete", page.Url);
        var t = await AssertTransactionAsync(merchant, key, "complete", "42.00");
        Assert.Equal("Credit Card", t.Text("service"));
        Assert.Empty(Violations(page));
    }

    [Fact]
    public async Task The_checkout_widgets_close_button_removes_the_payment_frame()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var page = await PayerAsync(checkoutKey: key);

        await page.GotoAsync($"{PageKit.Shop}/checkout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay" }).ClickAsync();
        await Expect(page.FrameLocator("iframe").GetByRole(AriaRole.Heading)).ToHaveTextAsync("Pay by card");

        await page.GetByRole(AriaRole.Button, new() { Name = "Close payment" }).ClickAsync();

        await Expect(page.Locator("iframe")).ToHaveCountAsync(0);
        Assert.Equal($"{PageKit.Shop}/checkout", page.Url);
    }

    [Fact]
    public async Task The_checkout_widget_offers_no_card_remembering_unless_card_options_ask_for_it()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var page = await PayerAsync(checkoutKey: key, cardOptions: "{ rememberCard: false, rememberCardDefaultValue: 1 }");

        await page.GotoAsync($"{PageKit.Shop}/checkout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay" }).ClickAsync();
        var frame = page.FrameLocator("iframe");
        await Expect(frame.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Pay by card");
        await Expect(frame.GetByLabel("Card number")).ToBeVisibleAsync();
        await Expect(frame.GetByLabel("Remember this card")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Only_the_keys_own_merchant_site_can_frame_its_checkout_pages()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        var frameUrl = $"{app.BaseUrl}/card?payment_key={key}&checkout=1";

        var shop = await PayerAsync(framing: frameUrl);
        await shop.GotoAsync($"{PageKit.Shop}/framed");
        await Expect(shop.FrameLocator("iframe").GetByRole(AriaRole.Heading)).ToHaveTextAsync("Pay by card");

        // Another site framing the same link (say, to overlay it and harvest clicks) gets nothing: Chromium refuses.
        var other = await PayerAsync(framing: frameUrl, site: "https://other.test");
        await other.GotoAsync("https://other.test/framed");
        await Eventually.HoldsAsync(() => Violations(other).Any(v => v.Contains("frame-ancestors", StringComparison.Ordinal)),
            "Chromium reports the refused frame");
        await Expect(other.FrameLocator("iframe").GetByRole(AriaRole.Heading)).ToHaveCountAsync(0);
    }

    /// <summary>A page whose https://shop.test answers are made by the browser: any path a plain page, /checkout the widget.</summary>
    private async Task<IPage> PayerAsync(string? checkoutKey = null, string? framing = null, string site = PageKit.Shop,
        string cardOptions = "{ rememberCard: true, rememberCardDefaultValue: 1 }")
    {
        var page = await app.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) lock (violations) violations.Add(message.Text);
        };
        Violated.AddOrUpdate(page, violations);
        // Here the gateway is on loopback, which Chromium's Local Network Access keeps public sites (shop.test) from
        // reaching without the payer's permission; a deployed gateway is a public site like the merchant's.
        await page.Context.GrantPermissionsAsync(["local-network-access"], new() { Origin = site });
        await page.RouteAsync(site + "/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "text/html; charset=utf-8",
            Body = route.Request.Url == $"{site}/checkout" && checkoutKey is not null ? CheckoutPage(checkoutKey, cardOptions)
                : route.Request.Url == $"{site}/framed" && framing is not null
                    ? $"<!doctype html><title>Shop</title><iframe title=\"Payment\" src=\"{framing}\"></iframe>"
                    : "<!doctype html><title>Shop</title><h1>Back at the shop</h1>",
        }));
        return page;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Violated = [];

    private static List<string> Violations(IPage page)
    {
        var violations = Violated.TryGetValue(page, out var found) ? found : [];
        lock (violations) return [.. violations];
    }

    /// <summary>The documents' checkout snippet, without jQuery.</summary>
    private string CheckoutPage(string key, string cardOptions) => $$"""
        <!doctype html>
        <title>Shop checkout</title>
        <script src="{{app.BaseUrl}}/ext/checkout/v3/checkout.js" id="og-checkout" data-origin="{{app.BaseUrl}}"></script>
        <h1>Your basket</h1>
        <p id="loaded"></p>
        <button id="pay-button" type="button" data-payment-key="{{key}}">Pay</button>
        <script>
          document.getElementById('pay-button').addEventListener('click', function () {
            this.hidden = true;
            eftSec.checkout.init({
              paymentKey: this.dataset.paymentKey,
              paymentType: 'credit_card',
              onLoad: function () { document.getElementById('loaded').textContent = 'widget loaded'; },
              cardOptions: {{cardOptions}},
            });
          });
        </script>
        """;

    private static async Task FillCardAsync(IPage page, string pan) => await FillCardAsync(page.Locator("form"), pan);

    private static async Task FillCardAsync(IFrameLocator frame, string pan) => await FillCardAsync(frame.Locator("form"), pan);

    private static async Task FillCardAsync(ILocator form, string pan)
    {
        await form.GetByLabel("Cardholder name").FillAsync("Ann Payer");
        await form.GetByLabel("Card number").FillAsync(pan);
        await form.GetByLabel("Expiry (MMYY)").FillAsync(PaymentKit.Expiry);
        await form.GetByLabel("CVV").FillAsync("123");
    }

    private static Regex Landing(string url) => new("^" + Regex.Escape(url) + "\\?");

    private static async Task<System.Text.Json.JsonElement> AssertTransactionAsync(Merchant merchant, string key, string status, string amount)
    {
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(status, t.Text("status"));
        Assert.Equal(amount, t.Text("amount"));
        return t;
    }
}
