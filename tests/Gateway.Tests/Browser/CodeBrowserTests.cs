using Gateway.Tests.Codes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>A payer in headless Chromium who types a code, adds a tip and pays by card and 3-D Secure on the hosted pages.</summary>
public sealed class CodeBrowserTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    [Fact]
    public async Task A_payer_types_a_code_adds_a_tip_and_pays_by_card_through_3d_secure()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 10, merchantReference = "table-9", shortDescription = "Dinner for two", requestPartialPayment = true,
            requestTip = true,
        })).Text("code");
        var page = await app.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) lock (violations) violations.Add(message.Text);
        };

        await page.GotoAsync("/c");
        await page.GetByLabel("Code").FillAsync($"{code[..3]} {code[3..6]} {code[6..]}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Dinner for two");
        await Expect(page.GetByLabel("Amount (ZAR)")).ToHaveValueAsync("10.00");
        await page.GetByLabel("Tip (ZAR, optional)").FillAsync("1.50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay by card" }).ClickAsync();

        await page.GetByLabel("Cardholder name").FillAsync("Ann Payer");
        await page.GetByLabel("Card number").FillAsync(PaymentKit.Challenge);
        await page.GetByLabel("Expiry (MMYY)").FillAsync(PaymentKit.Expiry);
        await page.GetByLabel("CVV").FillAsync("123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay R11.50" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pass" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Payment successful");
        var listed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200);
        var t = Assert.Single(listed.EnumerateArray());
        Assert.Equal((1, "11.50"), (t.GetProperty("successful").GetInt32(), t.Text("amount")));
        lock (violations) Assert.Empty(violations);
    }
}
