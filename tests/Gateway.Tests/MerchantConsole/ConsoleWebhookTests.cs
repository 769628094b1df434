using Gateway.Tests.Payments;
using Gateway.Tests.Webhooks;

namespace Gateway.Tests.MerchantConsole;

/// <summary>The transaction page's webhook attempts, and its resend button.</summary>
public sealed class ConsoleWebhookTests(ConsoleWebhookApp app) : IClassFixture<ConsoleWebhookApp>
{
    [Fact]
    public async Task TheAttemptsAreListedAndResendDeliversTheLatestEventAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = (_, n) => n == 1 ? 500 : 200;
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("webhook_success_url", receiver.Url("/paid")));
        var id = (await merchant.Client.PayAsync(reference: "console-hook")).Transaction().Id();
        await WebhookKit.UntilAsync(() => receiver.At("/paid").Count == 1, "the first delivery");

        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Organisation.Admin);
        await WebhookKit.UntilAsync(async () => (await browser.PageAsync($"/console/transactions/{id}")).Contains(">500<"),
            "the failed attempt in the page");
        var page = await browser.PageAsync($"/console/transactions/{id}");
        Assert.Contains(receiver.Url("/paid"), page);
        var resent = await browser.PostAsync($"/console/transactions/{id}/resend", null, ("csrf", ConsoleBrowser.Field(page, "csrf")));
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, resent.StatusCode);
        await WebhookKit.UntilAsync(() => receiver.At("/paid").Count == 2, "the resend");
        Assert.Single(receiver.At("/paid").Select(h => h.EventId).Distinct());
        Assert.Contains("The latest webhook is queued for delivery again.", await browser.PageAsync($"/console/transactions/{id}?done=resend"));
    }
}
