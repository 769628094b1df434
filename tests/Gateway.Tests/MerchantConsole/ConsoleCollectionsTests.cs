using Gateway.Tests.Collections;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Collections in the console: customers with masked accounts and mandates, debits with the bank's history.</summary>
public sealed class ConsoleCollectionsTests(CollectionsApp app) : IClassFixture<CollectionsApp>
{
    [Fact]
    public async Task ACustomersMandateAndTheirDebitsBankHistoryAreShownWithTheAccountMasked()
    {
        using var merchant = await app.CollectionsMerchantAsync();
        await merchant.ClockAsync("2027-03-30 07:00:00");
        var mandate = await merchant.DebtorAsync("1000000002", "Thandi");
        await merchant.PaymentAsync(mandate, "99.50", "once", "2027-03-30", "GYM-7");
        await app.RunSubmissionAsync();
        using var other = await app.CollectionsMerchantAsync();

        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Merchant.Organisation.Admin);
        var page = await browser.PageAsync("/console/collections");
        Assert.Contains("Thandi", page);
        Assert.Contains("******0002", page);
        Assert.DoesNotContain("1000000002", page);
        Assert.Contains("GYM-7", page);
        Assert.Contains("submitted", page);
        Assert.Contains("SUBMITTED", page);

        using var stranger = new ConsoleBrowser(app);
        await stranger.SignInAsync(other.Merchant.Organisation.Admin);
        var theirs = await stranger.PageAsync("/console/collections");
        Assert.DoesNotContain("Thandi", theirs);
        Assert.Contains("No customers yet.", theirs);
    }
}
