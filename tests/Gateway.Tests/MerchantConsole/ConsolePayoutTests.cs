using System.Net;
using Gateway.Tests.Cashier;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Cashier payouts approved or rejected in the console, once, as through the API.</summary>
public sealed class ConsolePayoutTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task AWaitingPayoutIsListedAndAnApproveAndARejectRacingEndWithOneDecision()
    {
        using var merchant = await app.CashierMerchantAsync();
        var id = await merchant.RequestPayoutAsync(app);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Merchant.Organisation.Admin);
        var page = await browser.PageAsync("/console/payouts");
        Assert.Contains(id, page);
        var csrf = ConsoleBrowser.Field(page, "csrf");

        var answers = await Task.WhenAll(
            browser.PostAsync($"/console/payouts/{id}", null, ("csrf", csrf), ("decision", "approve")),
            browser.PostAsync($"/console/payouts/{id}", null, ("csrf", csrf), ("decision", "reject")));
        var won = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.SeeOther);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        var status = await merchant.StatusAsync(id);
        Assert.Equal(won.Headers.Location!.ToString().EndsWith("approved", StringComparison.Ordinal) ? "pending" : "rejected",
            status.Text("transaction_status"));
        Assert.DoesNotContain(id, await browser.PageAsync("/console/payouts"));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/console/payouts/{id}", null, ("csrf", csrf),
            ("decision", "maybe"))).StatusCode);
    }

    [Fact]
    public async Task AnotherOrganisationsPayoutCannotBeDecided()
    {
        using var owner = await app.CashierMerchantAsync();
        var id = await owner.RequestPayoutAsync(app);
        using var other = await app.CashierMerchantAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(other.Merchant.Organisation.Admin);
        var page = await browser.PageAsync("/console/payouts");
        Assert.DoesNotContain(id, page);
        var answer = await browser.PostAsync($"/console/payouts/{id}", null, ("csrf", ConsoleBrowser.Field(page, "csrf")),
            ("decision", "approve"));
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal("pending", (await owner.StatusAsync(id)).Text("transaction_status"));
    }
}
