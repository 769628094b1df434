using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>
/// Every console page for every role in Chromium, each checked by axe-core: what an administrator, an agent and an
/// operator see, and the administrators' pages refused to an agent; then an API key created and revoked, and a
/// webhook resent, through the pages' own buttons.
/// </summary>
public sealed class ConsoleRolesBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    private static readonly string[] Everyone = ["/console/home", "/console/transactions", "/console/codes"];

    private static readonly string[] Administrators =
    [
        "/console/webhooks", "/console/schedules", "/console/payouts", "/console/collections", "/console/users",
        "/console/credentials", "/console/settings",
    ];

    [Fact]
    public async Task Each_page_for_each_role_is_accessible_and_agents_are_refused_the_administrators_pages()
    {
        using var merchant = await app.MerchantAsync();
        var (agent, agentId) = await app.CreateUserAsync(merchant.Organisation);
        await app.ActivateAsync(merchant.Organisation, agentId, Gateway.Identity.Services.Direct);
        using var agentApi = app.ClientFor(agent);
        var own = (await agentApi.PayAsync(reference: "agent-own")).Transaction().Id();

        var admin = await SignedInAsync(merchant.Organisation.Admin);
        foreach (var url in Everyone.Concat(Administrators).Append($"/console/transactions/{own}"))
        {
            Assert.Equal(200, (await admin.GotoAsync(url))!.Status);
            await admin.AssertAccessibleAsync();
        }

        var agentPage = await SignedInAsync(agent);
        foreach (var url in Everyone.Append($"/console/transactions/{own}"))
        {
            Assert.Equal(200, (await agentPage.GotoAsync(url))!.Status);
            await agentPage.AssertAccessibleAsync();
        }
        foreach (var url in Administrators)
        {
            Assert.Equal(403, (await agentPage.GotoAsync(url))!.Status);
            await Expect(agentPage.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
            await agentPage.AssertAccessibleAsync();
        }

        var operatorPage = await app.NewPageAsync();
        var credentials = await app.OperatorAsync();
        await operatorPage.GotoAsync("/console/sign-in");
        await operatorPage.GetByLabel("Username").FillAsync(credentials.Username);
        await operatorPage.GetByLabel("Password").FillAsync(credentials.Password);
        await operatorPage.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(operatorPage.GetByRole(AriaRole.Heading, new() { Name = "Choose an organisation" })).ToBeVisibleAsync();
        await operatorPage.AssertAccessibleAsync();
        await operatorPage.GetByLabel("Organisation id").FillAsync(merchant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await operatorPage.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(operatorPage.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        foreach (var url in Everyone.Where(u => u != "/console/codes").Concat(Administrators))
        {
            Assert.Equal(200, (await operatorPage.GotoAsync(url))!.Status);
            await operatorPage.AssertAccessibleAsync();
        }
        Assert.Equal(403, (await operatorPage.GotoAsync("/console/codes"))!.Status);
    }

    [Fact]
    public async Task An_administrator_creates_an_api_key_sees_it_once_and_revokes_it()
    {
        using var merchant = await app.MerchantAsync();
        var page = await SignedInAsync(merchant.Organisation.Admin);
        await page.GotoAsync("/console/credentials");
        await page.GetByLabel("Name").FillAsync("Shop front");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an API key" }).ClickAsync();
        var key = await page.Locator("#new-key").InnerTextAsync();
        Assert.StartsWith("sk_test_", key);
        using var api = app.ClientWithApiKey(key);
        await (await api.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);

        await page.GotoAsync("/console/credentials");
        await Expect(page.Locator("body")).Not.ToContainTextAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The key is revoked; it no longer works.");
        await (await api.GetAsync($"/api/v1/organisation/{merchant.Id}")).ErrorAsync(401);
    }

    [Fact]
    public async Task An_administrator_resends_a_transactions_latest_webhook()
    {
        using var merchant = await app.MerchantAsync();
        var id = (await merchant.Client.PayAsync(reference: "resend-me")).Transaction().Id();
        var page = await SignedInAsync(merchant.Organisation.Admin);
        await page.GotoAsync($"/console/transactions/{id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resend the latest webhook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The latest webhook is queued for delivery again.");
    }

    private async Task<IPage> SignedInAsync(Credentials user)
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        await page.GetByLabel("Username").FillAsync(user.Username);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Home", Exact = true })).ToBeVisibleAsync();
        return page;
    }
}
