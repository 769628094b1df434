using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Cashier;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>
/// The cashier (document 003) as its users see it, in headless Chromium: a hosted deposit by card through 3-D Secure,
/// the merchant's dark theme, the 3-D Secure page of a server-to-server deposit, and a payout the user asks for and
/// the merchant approves. The merchant calls the API with its test key; each flow is checked through that API too.
/// </summary>
public sealed class CashierBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    /// <summary>The page's body background in each theme (PageStyle's body and body.dark).</summary>
    private const string LightBackground = "rgb(243, 245, 248)";
    private const string DarkBackground = "rgb(17, 22, 29)";

    [Fact]
    public async Task A_user_deposits_by_card_on_the_hosted_cashier_through_3d_secure()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await TokenAsync(merchant, "/api/cashier/deposit", CashierKit.Body());
        var (page, violations) = await UserAsync();

        await page.GotoAsync($"/cashier/{token}");
        await Expect(Heading(page)).ToHaveTextAsync("Deposit");
        await Expect(page.Locator("dd.amount")).ToHaveTextAsync("R10.05");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose how" })).ToBeVisibleAsync();
        await Expect(page.Locator("ul.providers").GetByRole(AriaRole.Link)).ToHaveTextAsync(["Card", "Instant EFT"]);
        await page.GetByRole(AriaRole.Link, new() { Name = "Card", Exact = true }).ClickAsync();

        await Expect(Heading(page)).ToHaveTextAsync("Card");
        // amount_restricted: the user cannot change the amount, so the form asks only for the card.
        await Expect(page.GetByLabel("Amount (ZAR)")).ToHaveCountAsync(0);
        await page.GetByLabel("Card number").FillAsync(PaymentKit.Approved);
        await page.GetByLabel("Expiry (MMYY)").FillAsync(PaymentKit.Expiry);
        await page.GetByLabel("CVC").FillAsync("123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deposit", Exact = true }).ClickAsync();

        // The card simulator always asks for 3-D Secure on the cashier's page.
        await page.WaitForURLAsync(new Regex($"/cashier/{token}/3ds$"));
        await Expect(Heading(page)).ToHaveTextAsync("Confirm your deposit");
        var id = await ReferenceAsync(page);
        Assert.Equal("pending", (await merchant.StatusAsync(id)).Text("transaction_status"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Authenticate", Exact = true }).ClickAsync();

        await page.WaitForURLAsync(new Regex($"/cashier/{token}$"));
        await Expect(Heading(page)).ToHaveTextAsync("Deposit successful");
        await Expect(page.Locator("main")).ToContainTextAsync("The money is on its way to your account.");
        await Expect(page.Locator("dd.reference")).ToHaveTextAsync(id);
        var status = await merchant.StatusAsync(id);
        Assert.Equal("successful", status.Text("transaction_status"));
        Assert.Equal(JsonValueKind.Null, status.GetProperty("rejected_reason").ValueKind);
        var listed = await ListedAsync(merchant, id);
        Assert.Equal(("deposit", "successful", "card_simulator"),
            (listed.Text("transaction_type"), listed.Text("status"), listed.Text("payment_provider")));
        Assert.Equal(10.05m, listed.GetProperty("amount").GetDecimal());
        Assert.Empty(Snapshot(violations));
    }

    [Fact]
    public async Task The_cashier_is_dark_when_the_merchant_asks_and_light_by_default()
    {
        using var merchant = await app.CashierMerchantAsync();
        var dark = await TokenAsync(merchant, "/api/cashier/deposit",
            CashierKit.Body(change: r => r["theme"] = "dark"));
        var light = await TokenAsync(merchant, "/api/cashier/deposit", CashierKit.Body(change: r => r.Remove("theme")));
        var (page, violations) = await UserAsync();

        await page.GotoAsync($"/cashier/{dark}");
        await Expect(Heading(page)).ToHaveTextAsync("Deposit");
        await Expect(page.Locator("body")).ToHaveClassAsync("dark");
        await Expect(page.Locator("body")).ToHaveCSSAsync("background-color", DarkBackground);
        await Expect(page.Locator("main")).ToHaveCSSAsync("background-color", "rgb(27, 35, 45)");
        // The theme holds on the provider's form too.
        await page.GetByRole(AriaRole.Link, new() { Name = "Card", Exact = true }).ClickAsync();
        await Expect(Heading(page)).ToHaveTextAsync("Card");
        await Expect(page.Locator("body")).ToHaveCSSAsync("background-color", DarkBackground);
        await Expect(page.GetByLabel("Card number")).ToHaveCSSAsync("background-color", DarkBackground);

        await page.GotoAsync($"/cashier/{light}");
        await Expect(Heading(page)).ToHaveTextAsync("Deposit");
        await Expect(page.Locator("body")).Not.ToHaveClassAsync(new Regex("dark"));
        await Expect(page.Locator("body")).ToHaveCSSAsync("background-color", LightBackground);
        await Expect(page.Locator("main")).ToHaveCSSAsync("background-color", "rgb(255, 255, 255)");
        Assert.Empty(Snapshot(violations));
    }

    [Theory]
    [InlineData("Authenticate", "Deposit successful", "successful", null)]
    [InlineData("Fail authentication", "Deposit rejected", "rejected", "3-D Secure authentication failed")]
    public async Task A_server_to_server_deposit_is_decided_by_the_users_3d_secure_answer(string answer, string heading,
        string status, string? reason)
    {
        using var merchant = await app.CashierMerchantAsync();
        var body = CashierKit.S2SBody(PaymentKit.Challenge);
        var s2s = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s", body)).JsonAsync(200);
        Assert.Equal("pending", s2s.Text("transaction_status"));
        var id = s2s.Text("transaction_id");
        var url = new Uri(s2s.Text("url"));
        Assert.Equal(app.BaseUrl, url.GetLeftPart(UriPartial.Authority));
        Assert.Matches("^/cashier/[A-Za-z0-9]{50}/3ds$", url.AbsolutePath);
        Assert.Equal("pending", (await merchant.StatusAsync(id)).Text("transaction_status"));
        var (page, violations) = await UserAsync();

        await page.GotoAsync(url.ToString());
        await Expect(Heading(page)).ToHaveTextAsync("Confirm your deposit");
        await Expect(page.Locator("dd.amount")).ToHaveTextAsync("R10.05");
        await Expect(page.Locator("dd.reference")).ToHaveTextAsync(id);
        await page.GetByRole(AriaRole.Button, new() { Name = answer, Exact = true }).ClickAsync();

        var outcome = $"{app.BaseUrl}{url.AbsolutePath[..^"/3ds".Length]}";
        await page.WaitForURLAsync(outcome);
        await Expect(Heading(page)).ToHaveTextAsync(heading);
        if (reason is not null) await Expect(page.Locator(".problem")).ToHaveTextAsync(reason);
        else await Expect(page.Locator(".problem")).ToHaveCountAsync(0);
        var decided = await merchant.StatusAsync(id);
        Assert.Equal(status, decided.Text("transaction_status"));
        Assert.Equal(reason, decided.GetProperty("rejected_reason").GetString());

        // The challenge is answered once: its page now shows the outcome.
        await page.GotoAsync(url.ToString());
        await Expect(Heading(page)).ToHaveTextAsync(heading);
        Assert.Equal(outcome, page.Url);
        Assert.Empty(Snapshot(violations));
    }

    [Fact]
    public async Task A_user_asks_for_a_payout_which_the_merchant_approves_and_the_provider_pays()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await TokenAsync(merchant, "/api/cashier/payout", CashierKit.Body());
        var (page, violations) = await UserAsync();

        // The organisation offers one payout provider, so the page opens at its form.
        await page.GotoAsync($"/cashier/{token}");
        await Expect(Heading(page)).ToHaveTextAsync("Bank transfer");
        await Expect(page.Locator("dd.amount")).ToHaveTextAsync("R10.05");
        await Expect(page.GetByLabel("Card number")).ToHaveCountAsync(0);
        await page.GetByLabel("Account holder").FillAsync("John Doe");
        await page.GetByLabel("Bank", new() { Exact = true }).SelectOptionAsync("FNB");
        await page.GetByLabel("Account number").FillAsync("62000000001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Request withdrawal" }).ClickAsync();

        await Expect(Heading(page)).ToHaveTextAsync("Withdrawal requested");
        await Expect(page.Locator("main")).ToContainTextAsync("Your request is waiting for approval.");
        await Expect(page.Locator("dl.summary")).ToContainTextAsync("FNB *******0001");
        await Expect(page.Locator("body")).Not.ToContainTextAsync("62000000001");
        var id = await ReferenceAsync(page);
        Assert.Equal("pending", (await merchant.StatusAsync(id)).Text("transaction_status"));
        var listed = await ListedAsync(merchant, id);
        Assert.Equal(("withdrawal", "pending", "bank_transfer_simulator"),
            (listed.Text("transaction_type"), listed.Text("status"), listed.Text("payment_provider")));

        var approved = await (await merchant.DecideAsync("approve", id)).JsonAsync(200);
        Assert.Equal("Transaction Withdrawal has been approved successfully",
            approved.Text("message"));
        Assert.Equal("pending", approved.Text("transaction_status"));
        await page.ReloadAsync();
        await Expect(Heading(page)).ToHaveTextAsync("Withdrawal requested");

        // The provider is paid by the cashier's timer, run once as the host would. It works over the shared tables,
        // but each of its steps is an ETag-checked, idempotent change, so another test's payout it meets ends the same.
        await app.RunCashierAsync();
        Assert.Equal("successful", (await merchant.StatusAsync(id)).Text("transaction_status"));
        await page.ReloadAsync();
        await Expect(Heading(page)).ToHaveTextAsync("Withdrawal paid");
        await Expect(page.Locator("main")).ToContainTextAsync("The money was sent to your bank account.");
        Assert.Empty(Snapshot(violations));
    }

    /// <summary>A user's page in a browser context of its own, and the CSP violations Chromium reports on it.</summary>
    private async Task<(IPage Page, List<string> Violations)> UserAsync()
    {
        var page = await app.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (violations) violations.Add(message.Text);
            }
        };
        return (page, violations);
    }

    private static List<string> Snapshot(List<string> violations)
    {
        lock (violations) return [.. violations];
    }

    /// <summary>The page's own heading; the provider list has a second one ("Choose how").</summary>
    private static ILocator Heading(IPage page) => page.GetByRole(AriaRole.Heading, new() { Level = 1 });

    /// <summary>The transaction id the cashier page shows the user.</summary>
    private static async Task<string> ReferenceAsync(IPage page)
    {
        var reference = page.Locator("dd.reference");
        await Expect(reference).ToHaveTextAsync(new Regex("^[a-z0-9]{15}$"));
        return await reference.InnerTextAsync();
    }

    private static async Task<string> TokenAsync(CashierMerchant merchant, string path, JsonObject body)
    {
        var answer = await (await merchant.Api.PostJsonAsync(path, body)).JsonAsync(200);
        var token = answer.Text("token");
        Assert.Matches("^[A-Za-z0-9]{50}$", token);
        return token;
    }

    private static async Task<JsonElement> ListedAsync(CashierMerchant merchant, string id) =>
        Assert.Single((await merchant.ListAsync()).EnumerateArray(), t => t.Text("transaction_id") == id);
}
