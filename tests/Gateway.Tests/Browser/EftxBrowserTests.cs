using System.Text.RegularExpressions;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>
/// The self-hosted EFT plugin in headless Chromium, on the merchant's own page (https://shop.test, answered by the
/// browser) while the gateway is another origin: the documents' plain and bootstrap snippets, end to end, each
/// checked the way a merchant should check it, through the API.
/// </summary>
public sealed class EftxBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    [Fact]
    public async Task The_plain_snippet_pays_an_eft_from_the_merchants_page_and_lands_on_the_success_url()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "150.00");
        var page = await ShopAsync(PlainSnippet(key));

        await page.GotoAsync($"{PageKit.Shop}/pay");
        await Expect(page.Locator("#eftx-title")).ToHaveTextAsync("Pay by instant EFT");
        await Expect(page.Locator("#eftx-subtitle")).ToHaveTextAsync("Choose your bank.");
        // Plain: no classes of the plugin's own; the buttons go where buttonContainerId says.
        await Expect(page.Locator("#eftx-form [class], #eftx-button-container [class]")).ToHaveCountAsync(0);
        await page.GetByLabel("Your bank").SelectOptionAsync("Nedbank");
        await page.Locator("#eftx-button-container").GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await Expect(page.Locator("#eftx-title")).ToHaveTextAsync("Sign in to Nedbank");
        await page.GetByLabel("Account number").FillAsync("1234567890");
        await page.GetByLabel("Internet banking password").FillAsync("correct horse");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#eftx-title")).ToHaveTextAsync("Confirm your payment");
        await Expect(page.Locator("#eftx-form")).ToContainTextAsync("Nedbank account ending 7890");
        await Expect(page.Locator("body")).Not.ToContainTextAsync("correct horse");
        // onLoadStart and onLoadStop ran once per request (start, bank, sign in), the loader hidden again.
        await Expect(page.Locator("#starts")).ToHaveTextAsync("3");
        await Expect(page.Locator("#stops")).ToHaveTextAsync("3");
        await Expect(page.Locator("#loader")).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay R150.00" }).ClickAsync();

        await page.WaitForURLAsync(Landing(PageKit.SuccessUrl));
        Assert.Contains($"payment_key={key}", page.Url);
        Assert.Contains("status=complete", page.Url);
        var t = await AssertTransactionAsync(merchant, key, "complete", "150.00");
        Assert.Equal("EFT", t.Text("service"));
    }

    [Theory]
    [InlineData("decline")]
    [InlineData("cancel")]
    public async Task The_bootstrap_snippet_ends_a_declined_or_cancelled_eft_on_the_merchants_own_urls(string ending)
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync(amount: "20.00");
        var page = await ShopAsync(BootstrapSnippet(key));

        await page.GotoAsync($"{PageKit.Shop}/pay");
        var footer = page.Locator(".modal-footer");
        await Expect(footer.GetByRole(AriaRole.Button, new() { Name = "Continue" })).ToHaveClassAsync("btn btn-primary");
        await Expect(footer.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToHaveClassAsync("btn btn-default");
        await Expect(page.GetByLabel("Your bank")).ToHaveClassAsync("form-control");
        // The loader is hidden by /css/eftx.css's .hide (there is no Bootstrap CSS on this page).
        await Expect(page.Locator(".eftx-loader")).ToBeHiddenAsync();

        await footer.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync(); // no bank chosen
        await Expect(page.Locator("#eftx-form .alert.alert-danger")).ToHaveTextAsync("Choose your bank.");
        await Expect(page.Locator("#eftx-form .form-group.has-error")).ToHaveCountAsync(1);
        await page.GetByLabel("Your bank").SelectOptionAsync("FNB");
        await footer.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#eftx-title")).ToHaveTextAsync("Sign in to FNB");
        await Expect(page.Locator("#eftx-form .alert")).ToHaveCountAsync(0);

        if (ending == "cancel")
        {
            await footer.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await page.WaitForURLAsync(Landing($"{PageKit.Shop}/cancelled"));
            Assert.Contains("status=failed", page.Url);
            var cancelled = await AssertTransactionAsync(merchant, key, "failed", "20.00");
            Assert.Equal("Cancelled by payer", cancelled.Text("reason"));
            return;
        }
        await page.GetByLabel("Account number").FillAsync("4000000051");
        await page.GetByLabel("Internet banking password").FillAsync("pw");
        await footer.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#eftx-subtitle")).ToContainTextAsync("from FNB account ending 0051");
        await Expect(page.Locator("#counts")).ToHaveTextAsync("4/4");
        await footer.GetByRole(AriaRole.Button, new() { Name = "Pay R20.00" }).ClickAsync();

        await page.WaitForURLAsync(Landing($"{PageKit.Shop}/complete"));
        Assert.Contains($"payment_key={key}", page.Url);
        Assert.Contains("status=failed", page.Url);
        var declined = await AssertTransactionAsync(merchant, key, "failed", "20.00");
        Assert.Equal("Insufficient funds", declined.Text("reason"));
    }

    [Fact]
    public async Task An_unknown_key_shows_the_problem_in_place_of_the_form()
    {
        var page = await ShopAsync(PlainSnippet(new string('0', 32)));

        await page.GotoAsync($"{PageKit.Shop}/pay");

        await Expect(page.Locator("#eftx-title")).ToHaveTextAsync("Payment not possible");
        await Expect(page.Locator("#eftx-form [role=alert]")).ToHaveTextAsync("This payment link is not valid.");
        await Expect(page.Locator("#eftx-button-container button")).ToHaveCountAsync(0);
        await Expect(page.Locator("#stops")).ToHaveTextAsync("1");
    }

    /// <summary>A page whose https://shop.test answers the browser makes: /pay the snippet, any other path a plain page.</summary>
    private async Task<IPage> ShopAsync(string snippet)
    {
        var page = await app.NewPageAsync();
        // The gateway is on loopback here, which Local Network Access keeps public sites from calling unless allowed.
        await page.Context.GrantPermissionsAsync(["local-network-access"], new() { Origin = PageKit.Shop });
        await page.RouteAsync(PageKit.Shop + "/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "text/html; charset=utf-8",
            Body = route.Request.Url == $"{PageKit.Shop}/pay" ? snippet : "<!doctype html><title>Shop</title><h1>Back at the shop</h1>",
        }));
        return page;
    }

    /// <summary>The documents' unstyled snippet, its jQuery calls written without jQuery, counting the callbacks.</summary>
    private string PlainSnippet(string key) => $$"""
        <!doctype html>
        <html><head><title>Shop</title>
        <script type="text/javascript" src="{{app.BaseUrl}}/js/eft-secure.min.js"></script>
        </head><body>
        <!-- Eftx plain START -->
        <h1 id="eftx-title">Initialising Transaction</h1>
        <div>Merchant: Shop (FNB), Amount: R150.00</div>
        <h2 id="eftx-subtitle"></h2>
        <div id="loader" style="display: none;">Loading...</div>
        <form id="eftx-form" autocomplete="false"></form>
        <div style="clear:both"></div>
        <div id="eftx-button-container"></div>
        <p>Requests: <span id="starts">0</span>, answers: <span id="stops">0</span></p>
        <script>
          document.addEventListener('DOMContentLoaded', function () {
            function show(id, visible) { document.getElementById(id).style.display = visible ? '' : 'none'; }
            function count(id) { var n = document.getElementById(id); n.textContent = String(Number(n.textContent) + 1); }
            new Eftx({
              key: "{{key}}",
              formId: "eftx-form",
              titleId: "eftx-title",
              subTitleId: "eftx-subtitle",
              cssFramework: "plain",
              buttonContainerId: "eftx-button-container",
              //onCancelUrl: "{{PageKit.Shop}}/cancelled",
              //onCompleteUrl: "{{PageKit.Shop}}/complete",
              onLoadStart: function () {
                show("loader", true); show("eftx-form", false); show("eftx-button-container", false);
                count("starts");
              },
              onLoadStop: function () {
                show("loader", false); show("eftx-form", true); show("eftx-button-container", true);
                count("stops");
              }
            });
          });
        </script>
        <!-- Eftx plain END -->
        </body></html>
        """;

    /// <summary>
    /// The documents' bootstrap snippet as written, jQuery calls included: a few lines stand in for jQuery 1.x,
    /// which cannot be loaded from the internet here. No Bootstrap CSS; the gateway's eftx.css is linked.
    /// </summary>
    private string BootstrapSnippet(string key) => $$"""
        <!doctype html>
        <html><head><title>Shop</title>
        <script>
          window.jQuery = window.$ = function (target) {
            var nodes = target === document ? [] : Array.prototype.slice.call(document.querySelectorAll(target));
            function each(action) { nodes.forEach(action); return api; }
            var api = {
              ready: function (fn) {
                if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn); else fn();
                return api;
              },
              hide: function () { return each(function (n) { n.style.display = 'none'; }); },
              show: function () { return each(function (n) { n.style.display = ''; }); },
              addClass: function (c) { return each(function (n) { n.classList.add(c); }); },
              removeClass: function (c) { return each(function (n) { n.classList.remove(c); }); }
            };
            return api;
          };
        </script>
        <script type="text/javascript" src="{{app.BaseUrl}}/js/eft-secure.min.js"></script>
        <link rel="stylesheet" type="text/css" href="{{app.BaseUrl}}/css/eftx.css">
        </head><body>
        <!-- Eftx boostrap START -->
        <div class="eft modal" id="eftxModal" tabindex="-1" role="dialog" aria-labelledby="title">
          <div class="modal-dialog" role="document">
            <div class="modal-content">
              <div class="modal-header">
                <h4 class="modal-title pull-left" id="eftx-title">Initialising Transaction</h4>
                <h4 class="modal-title pull-right">Amount: R20.00</h4>
                <div class="clearfix"></div>
                <div>Merchant: Shop (FNB)</div>
              </div>
              <div class="modal-body">
                <h4 id="eftx-subtitle"></h4>
                <div class="eftx-loader">
                  <div class="container">
                    <div class="loader">
                      <div class="loader--dot"></div>
                      <div class="loader--dot"></div>
                      <div class="loader--dot"></div>
                      <div class="loader--dot"></div>
                      <div class="loader--dot"></div>
                      <div class="loader--dot"></div>
                      <div class="loader--text"></div>
                    </div>
                  </div>
                </div>
                <form id="eftx-form" autocomplete="false"></form>
                <div class="clearfix"></div>
              </div>
              <div class="modal-footer" id="eftx-button-container">
              </div>
            </div>
          </div>
        </div>
        <p id="counts">0/0</p>
        <script type="text/javascript">
          var starts = 0, stops = 0;
          function counted() { document.getElementById("counts").textContent = starts + "/" + stops; }
          $(document).ready(function() {
            new Eftx({
              key: "{{key}}",
              //enum[bootstrap, none]
              cssFramework: "bootstrap",
              buttonContainerId: "eftx-button-container",
              onCancelUrl: "{{PageKit.Shop}}/cancelled",
              onCompleteUrl: "{{PageKit.Shop}}/complete",
              backgroundEnabled: true,
              onLoadStart: function(){
                $(".eftx-loader").removeClass("hide");
                $("#eftx-form").hide();
                $(".modal-footer button").hide();
                starts++; counted();
              },
              onLoadStop: function(){
                $(".eftx-loader").addClass("hide");
                $("#eftx-form").show();
                $(".modal-footer button").show();
                stops++; counted();
              }
            });
          });
        </script>
        <!-- Eftx bootstrap END -->
        </body></html>
        """;

    private static Regex Landing(string url) => new("^" + Regex.Escape(url) + "\\?");

    private static async Task<System.Text.Json.JsonElement> AssertTransactionAsync(Merchant merchant, string key,
        string status, string amount)
    {
        var t = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal(status, t.Text("status"));
        Assert.Equal(amount, t.Text("amount"));
        return t;
    }
}
