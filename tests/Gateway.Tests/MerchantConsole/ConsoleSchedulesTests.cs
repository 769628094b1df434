using System.Net;
using Gateway.Tests.Payments;
using Gateway.Tests.Schedules;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Payment schedules in the console: by card, with past and upcoming dates, and cancelled once.</summary>
public sealed class ConsoleSchedulesTests(ScheduleApp app) : IClassFixture<ScheduleApp>
{
    [Fact]
    public async Task ASchedulesPastAndUpcomingDatesAreShownByCardAndItCanBeCancelled()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-10-01 07:00:00");
        var card = await app.CardAsync(merchant, "console-card");
        var schedule = (await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "monthly", "15.00", "01-10-2027", 6)))[0];
        await app.RunSchedulesAsync();
        using var other = await app.MerchantAsync();

        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Organisation.Admin);
        var page = await browser.PageAsync("/console/schedules");
        Assert.Contains("424242******4242", page);
        Assert.Contains("1 of 6", page);
        Assert.Contains("2027-10-01: <a href=\"/console/transactions/", page);
        Assert.Contains("2027-11-01, 2027-12-01, 2028-01-01, 2028-02-01, 2028-03-01", page);

        using var stranger = new ConsoleBrowser(app);
        await stranger.SignInAsync(other.Organisation.Admin);
        var theirs = await stranger.PageAsync("/console/schedules");
        Assert.Contains("No payment schedules.", theirs);
        var id = schedule.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/console/schedules/{id}/cancel", null,
            ("csrf", ConsoleBrowser.Field(theirs, "csrf")))).StatusCode);

        var csrf = ConsoleBrowser.Field(page, "csrf");
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/schedules/{id}/cancel", null, ("csrf", csrf))).StatusCode);
        Assert.Contains("No payment schedules.", await browser.PageAsync("/console/schedules"));
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostAsync($"/console/schedules/{id}/cancel", null, ("csrf", csrf))).StatusCode);
    }
}
