using Gateway.Tests.Codes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>
/// The merchant console in headless Chromium: an administrator and an agent at work, a forged cross-site form, and
/// axe-core's accessibility rules on every page they see (no serious or critical violation).
/// </summary>
public sealed class ConsoleBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    [Fact]
    public async Task An_administrator_signs_in_finds_a_payment_refunds_part_of_it_and_signs_out()
    {
        using var merchant = await app.MerchantAsync();
        var id = (await merchant.Client.PayAsync(amount: "25.00", reference: "order-4711")).Transaction().Id();
        var page = await app.NewPageAsync();

        await page.GotoAsync("/console");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();
        await page.GetByLabel("Username").FillAsync(merchant.Organisation.Admin.Username);
        await page.GetByLabel("Password").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Invalid username or password.");
        await page.GetByLabel("Username").FillAsync(merchant.Organisation.Admin.Username);
        await page.GetByLabel("Password").FillAsync(merchant.Organisation.Admin.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("table tbody tr").First).ToContainTextAsync("R25.00");
        await page.AssertAccessibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Transactions" }).ClickAsync();
        await page.GetByLabel("Id, reference or payment key").FillAsync("order-4711");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.AssertAccessibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Transaction {id}" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();

        await page.GetByLabel("Amount to refund").FillAsync("10.00");
        await page.GetByLabel("I confirm this refund to the payer").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Refund" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The refund is booked.");
        await Expect(page.Locator("dl.summary")).ToContainTextAsync("R10.00");
        Assert.Equal("10.00", (await merchant.Client.ViewAsync(id)).Text("refunded_amount"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GotoAsync($"/console/transactions/{id}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_agent_sees_their_own_payments_and_is_refused_the_administrators()
    {
        using var merchant = await app.MerchantAsync();
        var admins = (await merchant.Client.PayAsync(reference: "admin-sale")).Transaction().Id();
        var (agent, agentId) = await app.CreateUserAsync(merchant.Organisation);
        await app.ActivateAsync(merchant.Organisation, agentId, Gateway.Identity.Services.Direct);
        using var agentApi = app.ClientFor(agent);
        var own = (await agentApi.PayAsync(reference: "agent-sale")).Transaction().Id();
        var page = await app.NewPageAsync();
        await SignInAsync(page, agent);

        await page.GotoAsync("/console/transactions");
        await Expect(page.Locator("tbody")).ToContainTextAsync("agent-sale");
        await Expect(page.Locator("tbody")).Not.ToContainTextAsync("admin-sale");
        await page.GotoAsync($"/console/transactions/{own}");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Refund" })).ToHaveCountAsync(0);
        await page.AssertAccessibleAsync();
        var refused = await page.GotoAsync($"/console/transactions/{admins}");
        Assert.Equal(404, refused!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();
    }

    [Fact]
    public async Task A_form_on_another_site_cannot_refund_through_a_signed_in_console()
    {
        using var merchant = await app.MerchantAsync();
        var id = (await merchant.Client.PayAsync(reference: "forgery-target")).Transaction().Id();
        var page = await app.NewPageAsync();
        await SignInAsync(page, merchant.Organisation.Admin);
        await page.RouteAsync("http://evil.test/**", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"""
                <!doctype html><title>Win a prize</title>
                <form id="f" method="post" action="{app.BaseUrl}/console/transactions/{id}/refund">
                <input name="confirm" value="yes"><input name="amount" value="10.00">
                <input name="form_key" value="AAAAAAAAAAAAAAAAAAAAAA"><input name="csrf" value="guess">
                </form><script>document.getElementById("f").submit()</script>
                """,
        }));
        var posted = page.WaitForResponseAsync(r => r.Url.Contains("/refund", StringComparison.Ordinal));
        await page.GotoAsync("http://evil.test/prize");
        var response = await posted;
        // The cookie is SameSite=Strict, so the post arrives signed out; and were it not, its origin and token fail.
        Assert.Contains(response.Status, new[] { 303, 403 });
        Assert.Equal("0.00", (await merchant.Client.ViewAsync(id)).Text("refunded_amount"));
    }

    /// <summary>The console's main pages at a desktop's and a phone's width, into docs/console (the README shows them).</summary>
    [Fact]
    public async Task Screenshots_of_the_main_pages_at_desktop_and_phone_widths()
    {
        using var merchant = await app.MerchantAsync();
        long id = 0;
        foreach (var (amount, reference) in new[] { ("125.00", "INV-1001"), ("49.90", "INV-1002"), ("310.00", "INV-1003") })
        {
            id = (await merchant.Client.PayAsync(amount: amount, reference: reference)).Transaction().Id();
        }
        await merchant.Client.PayAsync(pan: "4000000000009995", reference: "INV-1004");
        await merchant.Client.CreateCodeAsync(new { amount = 45, merchantReference = "table-7", shortDescription = "Dinner" });
        var folder = Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "docs", "console");
        Directory.CreateDirectory(folder);
        var page = await app.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        await ShotAsync(page, folder, "sign-in");
        await SignInAsync(page, merchant.Organisation.Admin);
        foreach (var (name, url) in new[]
        {
            ("home", "/console/home"), ("transactions", "/console/transactions"), ("transaction", $"/console/transactions/{id}"),
            ("codes", "/console/codes"), ("webhooks", "/console/webhooks"), ("credentials", "/console/credentials"),
            ("users", "/console/users"),
            ("settings", "/console/settings"),
        })
        {
            await page.GotoAsync(url);
            await page.AssertAccessibleAsync();
            await ShotAsync(page, folder, name);
        }
    }

    private static async Task ShotAsync(IPage page, string folder, string name)
    {
        foreach (var (width, height, label) in new[] { (1280, 800, "desktop"), (390, 844, "phone") })
        {
            await page.SetViewportSizeAsync(width, height);
            var path = Path.Combine(folder, $"{name}-{label}.png");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            var png = await File.ReadAllBytesAsync(path);
            Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', $"{path} is not a screenshot.");
        }
    }

    private static async Task SignInAsync(IPage page, Credentials user)
    {
        await page.GotoAsync("/console/sign-in");
        await page.GetByLabel("Username").FillAsync(user.Username);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
    }
}

/// <summary>The browser gateway on a clock the test moves, so a console session can time out without waiting.</summary>
public sealed class ClockBrowserGateway : BrowserGateway
{
    public ClockBrowserGateway() => Clock = new Gateway.Testing.ManualClock(DateTimeOffset.UtcNow);
}

/// <summary>A console session timing out in the browser: the next click lands on the sign-in page.</summary>
public sealed class ConsoleExpiryBrowserTests(ClockBrowserGateway app) : IClassFixture<ClockBrowserGateway>
{
    [Fact]
    public async Task After_thirty_idle_minutes_the_next_click_asks_to_sign_in_again()
    {
        using var merchant = await app.MerchantAsync();
        var page = await app.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        await page.GetByLabel("Username").FillAsync(merchant.Organisation.Admin.Username);
        await page.GetByLabel("Password").FillAsync(merchant.Organisation.Admin.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();

        app.Clock!.Advance(TimeSpan.FromMinutes(29));
        await page.GetByRole(AriaRole.Link, new() { Name = "Transactions" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Transactions" })).ToBeVisibleAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(31));
        await page.GetByRole(AriaRole.Link, new() { Name = "Home" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }
}
