using Gateway.Tests.Express;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Identity;

/// <summary>
/// What follows an organisation's test clock: payment key and link expiry, card expiry, <c>created</c> stamps and date
/// filters. Real time is a manual clock these tests never move (it stays at 10 March 2026), so whatever changes below
/// changes because the organisation's clock moved.
/// </summary>
public sealed class TestClockBehaviourTests(ExpressClockApp app) : IClassFixture<ExpressClockApp>
{
    private static async Task SetClockAsync(Merchant merchant, string now) =>
        Assert.Equal(now, (await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}/test-clock", ("now", now))).JsonAsync(200)).Text("now"));

    private static (string Key, string Value)[] HostedCard(string expiry = PaymentKit.Expiry, string pan = PaymentKit.Approved) =>
        [("holder", "Ann Payer"), ("pan", pan), ("expiry", expiry), ("cvv", "123"), ("action", "continue")];

    [Fact]
    public async Task APaymentKeyExpiresADayAfterItWasMadeByTheOrganisationsClock()
    {
        var real = app.Clock!.GetUtcNow();
        using var merchant = await app.MerchantAsync();
        await SetClockAsync(merchant, "2030-01-15 10:00:00");
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        await SetClockAsync(merchant, "2030-01-16 09:59:59");
        await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

        await SetClockAsync(merchant, "2030-01-16 10:00:00");
        Assert.Contains("expired", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(410));
        Assert.Contains("expired", await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(410));
        Assert.Contains("expired", await (await payer.SubmitAsync(form, HostedCard())).HtmlAsync(410));
        Assert.Equal(real, app.Clock.GetUtcNow());

        // Back on real time (2026) the key made "in 2030" has years left, and pays.
        await (await merchant.Client.DeleteAsync($"/api/v1/organisation/{merchant.Id}/test-clock")).JsonAsync(200);
        (await payer.SubmitAsync(form, HostedCard())).RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("2026-03-10 10:00:00", (await merchant.Client.TransactionForKeyAsync(key)).Text("created"));
    }

    [Fact]
    public async Task AKeyMadeOnRealTimeExpiresWhenTheClockIsMovedPastIt()
    {
        using var merchant = await app.MerchantAsync();
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        await SetClockAsync(merchant, "2026-03-11 10:00:00"); // real time is 10:00 in Johannesburg on the 10th
        Assert.Contains("expired", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(410));
    }

    [Fact]
    public async Task AKeyHeldByAPaymentInProgressStaysHeldHoweverFarTheClockMoves()
    {
        using var merchant = await app.MerchantAsync();
        await SetClockAsync(merchant, "2030-01-15 10:00:00");
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        (await payer.SubmitAsync(form, HostedCard(pan: PaymentKit.Challenge))).RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");

        // The hold (15 minutes for the challenge) is real time, which has not moved; the key has not expired.
        await SetClockAsync(merchant, "2030-01-16 09:00:00");
        Assert.Contains("in progress", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(409));
    }

    [Fact]
    public async Task PaymentsAreStampedWithTheClocksTimeAndListedByIt()
    {
        using var merchant = await app.MerchantAsync();
        await SetClockAsync(merchant, "2030-05-01 23:30:00");
        var first = (await merchant.Client.PayAsync(reference: "first")).Transaction();
        Assert.Equal("2030-05-01 23:30:00", first.Text("created"));
        Assert.Equal("2030-05-01 23:30:00", (await merchant.Client.ViewAsync(first.Id())).Text("created"));
        await SetClockAsync(merchant, "2030-05-03 08:15:00");
        var second = (await merchant.Client.PayAsync(reference: "second")).Transaction();
        Assert.Equal("2030-05-03 08:15:00", second.Text("created"));

        async Task<long[]> ListAsync(string query) =>
            [.. (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction{query}")).JsonAsync(200))
                .EnumerateArray().Select(t => t.Id())];
        Assert.Equal([first.Id()], await ListAsync("?from_date=01-05-2030&to_date=01-05-2030"));
        Assert.Equal([second.Id()], await ListAsync("?from_date=02-05-2030"));
        Assert.Equal([first.Id(), second.Id()], await ListAsync("?from_date=01-05-2030&to_date=03-05-2030"));
        Assert.Empty(await ListAsync("?from_date=10-03-2026&to_date=10-03-2026")); // the real day
    }

    [Fact]
    public async Task ACardIsExpiredByTheClocksMonthThoughValidInRealTime()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.Client.PayAsync(reference: "before"); // 12/30 is fine in March 2026
        await SetClockAsync(merchant, "2031-01-01 00:00:00");
        var refused = await (await merchant.Client.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card(reference: "after"))).ErrorAsync(400);
        Assert.StartsWith("expiry:", refused);
        Assert.Contains("expired", refused);
        var january = await (await merchant.Client.PostFormAsync("/api/v1/pay/direct",
            ("amount", "10.00"), ("merchant_reference", "january"), ("pan", PaymentKit.Approved), ("expiry", "0131"), ("cvv", "123"))).JsonAsync(200);
        Assert.Equal("complete", january.Transaction().Text("status"));

        // The hosted card page judges the card by the same clock.
        var key = await merchant.Client.CreateKeyAsync();
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        var again = await (await payer.SubmitAsync(form, HostedCard("1230"))).HtmlAsync(400);
        Assert.Contains("expired", again);
        (await payer.SubmitAsync(again, HostedCard("0131"))).RedirectsTo(PageKit.SuccessUrl);
    }

    [Fact]
    public async Task AnExpressLinksExpiryDateIsJudgedByTheClock()
    {
        using var merchant = await app.MerchantAsync();
        // Over 180 days past real time, so only the clock makes these dates acceptable, or past.
        await SetClockAsync(merchant, "2030-07-01 09:00:00");
        var refused = await (await merchant.Client.PostFormAsync("/api/v1/express/sms",
            ("amount", "5.00"), ("number", "27821112222"), ("expiry_date", "30-06-2030"))).ErrorAsync(400);
        Assert.Equal("expiry_date: is in the past.", refused);
        var created = await merchant.Client.SmsAsync(extra: ("expiry_date", "01-07-2030"));
        var lasting = await merchant.Client.EmailAsync(); // seven days by default, from the clock
        using var payer = app.Payer();
        await payer.KeyOfLinkAsync(created.Text("recipient"));

        await SetClockAsync(merchant, "2030-07-01 23:59:59");
        await payer.KeyOfLinkAsync(created.Text("recipient"));
        await SetClockAsync(merchant, "2030-07-02 00:00:00");
        Assert.Contains("expired", await (await payer.GetAsync(ExpressKit.LinkPath(created.Text("recipient")))).HtmlAsync(410));

        await SetClockAsync(merchant, "2030-07-08 08:59:59");
        await payer.KeyOfLinkAsync(lasting.Text("link"));
        await SetClockAsync(merchant, "2030-07-08 09:00:00");
        Assert.Contains("expired", await (await payer.GetAsync(ExpressKit.LinkPath(lasting.Text("link")))).HtmlAsync(410));
    }
}
