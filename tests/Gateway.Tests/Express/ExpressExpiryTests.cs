using System.Globalization;
using Azure.Storage.Queues.Models;
using Gateway.Hosting;
using Gateway.Payments;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Express;

/// <summary>expiry_date in the organisation's time zone, on a clock the tests move; and what the sender skips.</summary>
public sealed class ExpressExpiryTests(ExpressClockApp app) : IClassFixture<ExpressClockApp>
{
    private string LocalDate(string zone, int plusDays = 0) =>
        TimeZoneInfo.ConvertTime(app.Clock!.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(zone)).AddDays(plusDays).ToString("dd-MM-yyyy", CultureInfo.InvariantCulture);

    /// <summary>Moves the clock to just before the end of today in the zone, checks the link, then past it.</summary>
    private async Task PayableUntilMidnightAsync(string zone)
    {
        using var merchant = await app.MerchantAsync(timezone: zone);
        var created = await merchant.Client.SmsAsync(extra: ("expiry_date", LocalDate(zone)));
        using var payer = app.Payer();
        var key = await payer.KeyOfLinkAsync(created.Text("recipient"));

        var z = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var local = TimeZoneInfo.ConvertTime(app.Clock!.GetUtcNow(), z);
        var midnight = new DateTimeOffset(local.Date.AddDays(1), z.GetUtcOffset(local.Date.AddDays(1)));
        app.Clock.Advance(midnight - app.Clock.GetUtcNow() - TimeSpan.FromMinutes(1));
        await payer.KeyOfLinkAsync(created.Text("recipient"));
        await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(200);

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Contains("expired", await (await payer.GetAsync(ExpressKit.LinkPath(created.Text("recipient")))).HtmlAsync(410));
        Assert.Contains("expired", await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(410));
    }

    [Fact]
    public async Task ALinkCanBePaidUntilTheEndOfItsExpiryDateInTheOrganisationsTimeZone()
    {
        await PayableUntilMidnightAsync("Africa/Johannesburg");
        await PayableUntilMidnightAsync("Pacific/Auckland");
    }

    [Fact]
    public async Task WithoutAnExpiryDateALinkLastsSevenDays()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.EmailAsync();
        using var payer = app.Payer();
        app.Clock!.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        await payer.KeyOfLinkAsync(created.Text("link"));
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await (await payer.GetAsync(ExpressKit.LinkPath(created.Text("link")))).HtmlAsync(410);
    }

    [Fact]
    public async Task ExpiryDatesInThePastTooFarAheadOrMisshapenAreRefused()
    {
        using var merchant = await app.MerchantAsync();
        foreach (var bad in new[] { LocalDate("Africa/Johannesburg", -1), LocalDate("Africa/Johannesburg", 181), "2026-03-10", "31-02-2026", "1-3-2026", "today" })
        {
            var message = await (await merchant.Client.PostFormAsync("/api/v1/express/sms", ("amount", "1.00"), ("number", "27821112222"), ("expiry_date", bad))).ErrorAsync(400);
            Assert.StartsWith("expiry_date:", message);
        }
        await merchant.Client.SmsAsync(extra: ("expiry_date", LocalDate("Africa/Johannesburg", 180)));
    }

    [Fact]
    public async Task TheSenderSkipsCancelledAndExpiredLinksAndRetriesWhatItCannotReadOrFind()
    {
        using var merchant = await app.MerchantAsync();
        var cancelled = await merchant.Client.SmsAsync();
        await (await merchant.Client.CancelAsync(("id", cancelled.Id().ToString()))).JsonAsync(200);
        var expired = await merchant.Client.SmsAsync(extra: ("expiry_date", LocalDate("Africa/Johannesburg")));
        var sent = await merchant.Client.EmailAsync();

        // The local poller waits on this app's clock, so these runs are the only ones until the clock moves.
        app.Clock!.Advance(TimeSpan.FromDays(1));
        foreach (var id in new[] { cancelled.Id(), expired.Id(), sent.Id() })
        {
            await RunSenderAsync($$"""{"organisation_id": {{merchant.Id}}, "express_id": {{id}}}""");
        }
        Assert.Equal([sent.Id()], (await merchant.Client.NotificationsAsync(merchant.Id)).Select(n => n.GetProperty("express_id").GetInt64()));
        Assert.Contains(app.Logs.Lines, l => l.Message.Contains($"express transaction {cancelled.Id()} of organisation {merchant.Id} (cancelled)", StringComparison.Ordinal));
        Assert.Contains(app.Logs.Lines, l => l.Message.Contains($"express transaction {expired.Id()} of organisation {merchant.Id} (expired)", StringComparison.Ordinal));

        // Sent once: a redelivery sends nothing more.
        await RunSenderAsync($$"""{"organisation_id": {{merchant.Id}}, "express_id": {{sent.Id()}}}""");
        Assert.Contains(app.Logs.Lines, l => l.Message.Contains($"express transaction {sent.Id()} of organisation {merchant.Id} (already sent)", StringComparison.Ordinal));

        foreach (var unreadable in new[] { "not json", "{}", """{"organisation_id": "x", "express_id": 1}""" })
        {
            await Assert.ThrowsAsync<FormatException>(() => RunSenderAsync(unreadable));
        }
        // An express transaction that is not (yet) committed is retried, not dropped.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunSenderAsync($$"""{"organisation_id": {{merchant.Id}}, "express_id": 999999999}"""));
        Assert.Contains("not committed", error.Message);
    }

    private Task RunSenderAsync(string body) =>
        app.Service<FunctionInvoker>().RunQueueAsync(app.Sender,
            QueuesModelFactory.QueueMessage("id", "receipt", BinaryData.FromString(body), dequeueCount: 1), body, CancellationToken.None);

    [Fact]
    public async Task ALinkWhoseThreeDSecureAttemptWasAbandonedCanBeCancelledAndThenNotPaid()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.EmailAsync();
        using var payer = app.Payer();
        var key = await payer.KeyOfLinkAsync(created.Text("link"));
        var hosted = app.Service<HostedPayments>();
        var challenged = await hosted.PayByCardAsync(key, new CardDetails(PaymentKit.Challenge, 12, 2030, "123", null), false, CancellationToken.None);
        Assert.Equal("pending", challenged.Transaction.Status);
        // While the cardholder may still pass the challenge, the link cannot be cancelled.
        await (await merchant.Client.CancelAsync(("id", created.Id().ToString()))).ErrorAsync(409);

        app.Clock!.Advance(HostedPayments.ChallengeTime + TimeSpan.FromSeconds(1));
        using (var scope = app.Services.CreateScope())
        {
            await ActivatorUtilities.CreateInstance<PaymentSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
        }
        await (await merchant.Client.CancelAsync(("id", created.Id().ToString()))).JsonAsync(200);
        var refused = await Assert.ThrowsAsync<Gateway.Api.ApiException>(() =>
            hosted.PayByCardAsync(key, new CardDetails(PaymentKit.Approved, 12, 2030, "123", null), false, CancellationToken.None));
        Assert.Equal(410, refused.Status);
    }
}
