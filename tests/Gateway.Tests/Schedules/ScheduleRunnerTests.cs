using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Schedules;

/// <summary>
/// The runner charges what falls due by each organisation's clock: at 06:00 local time, month ends clamped, across
/// daylight saving, catching up after downtime within the window and recording older occurrences as missed.
/// </summary>
public sealed class ScheduleRunnerTests(ScheduleApp app) : IClassFixture<ScheduleApp>
{
    [Fact]
    public async Task MonthlyOnThe31stFallsOnTheLastDayOfShorterMonthsAndReturnsToThe31st()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-01-20 09:00:00");
        var card = await app.CardAsync(merchant, "month-ends");
        await merchant.ScheduleAsync(card, [.. ScheduleKit.Schedule(0, "monthly", "100.50", "31-01-2027", 5), .. ScheduleKit.Schedule(1, "monthly", "20", "31-01-2028", 2)]);

        var views = await merchant.SchedulesAsync(card);
        Assert.Equal(["31-01-2027", "28-02-2027", "31-03-2027", "30-04-2027", "31-05-2027"], views[0].GetProperty("upcoming").Strings());
        Assert.Equal(["31-01-2028", "29-02-2028"], views[1].GetProperty("upcoming").Strings());

        // Africa/Johannesburg (UTC+2, the default zone): 06:00 local is 04:00 UTC.
        await merchant.ClockAsync("2027-01-31 06:00:00");
        await app.RunSchedulesAsync();
        await merchant.ClockAsync("2027-02-28 05:59:59");
        await app.RunSchedulesAsync();
        var charged = await app.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal([new DateTimeOffset(2027, 1, 31, 4, 0, 0, TimeSpan.Zero)], charged.Select(t => t.Created));
        await merchant.ClockAsync("2027-02-28 06:00:00");
        await app.RunSchedulesAsync();
        Assert.Equal(2, (await app.ScheduledPaymentsAsync(merchant.Id)).Count);

        var occurrences = (await merchant.SchedulesAsync(card))[0].GetProperty("occurrences");
        Assert.Equal(["31-01-2027", "28-02-2027"], occurrences.EnumerateArray().Select(o => o.Text("date")));
        Assert.All(occurrences.EnumerateArray(), o => Assert.Equal("complete", o.Text("status")));
        Assert.Equal(["31-03-2027", "30-04-2027", "31-05-2027"], (await merchant.SchedulesAsync(card))[0].GetProperty("upcoming").Strings());
    }

    [Fact]
    public async Task ChargesFallDueAtSixLocalTimeOnEitherSideOfADaylightSavingChange()
    {
        using var merchant = await app.MerchantAsync(timezone: "Europe/London");
        await merchant.ClockAsync("2027-03-26 12:00:00");
        var card = await app.CardAsync(merchant, "dst");
        // 28 March 2027: the clocks go forward at 01:00 GMT; 31 October 2027: back at 02:00 BST.
        await merchant.ScheduleAsync(card, [.. ScheduleKit.Schedule(0, "daily", "5", "27-03-2027", 3), .. ScheduleKit.Schedule(1, "daily", "6", "31-10-2027", 1)]);

        var expected = new List<DateTimeOffset>();
        foreach (var (day, utcHour) in new[] { ("2027-03-27", 6), ("2027-03-28", 5), ("2027-03-29", 5), ("2027-10-31", 6) })
        {
            await merchant.ClockAsync(day + " 05:59:59");
            await app.RunSchedulesAsync();
            Assert.Equal(expected, (await app.ScheduledPaymentsAsync(merchant.Id)).Select(t => t.Created));
            await merchant.ClockAsync(day + " 06:00:00");
            await app.RunSchedulesAsync();
            expected.Add(DateTimeOffset.Parse(day + $"T{utcHour:D2}:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(expected, (await app.ScheduledPaymentsAsync(merchant.Id)).Select(t => t.Created));
        }
    }

    [Theory]
    [InlineData("2027-03-28", "01:30", "2027-03-28T01:30:00Z")] // does not exist in London: read with the offset before the jump
    [InlineData("2027-10-31", "01:30", "2027-10-31T00:30:00Z")] // exists twice: the earlier one
    [InlineData("2027-07-01", "06:00", "2027-07-01T05:00:00Z")]
    public void ALocalChargeTimeThatClocksSkipOrRepeatIsPinnedToOneInstant(string date, string time, string utc) =>
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture),
            ScheduleCalendar.DueAt(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture), ApiTime.Zone("Europe/London")));

    [Fact]
    public async Task OccurrencesMissedDuringThreeDaysDownAreEachChargedOnceWhenTheRunnerIsBack()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-05-10 08:00:00");
        var card = await app.CardAsync(merchant, "catch-up");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "12.00", "10-05-2027", 10));
        await app.RunSchedulesAsync();
        Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));

        await merchant.ClockAsync("2027-05-13 08:00:00");
        await app.RunSchedulesAsync();
        await app.RunSchedulesAsync();
        var charged = await app.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal(4, charged.Count);
        Assert.All(charged, t => Assert.Equal(TransactionStatus.Complete, t.Status));
        var view = (await merchant.SchedulesAsync(card))[0];
        Assert.Equal(["10-05-2027", "11-05-2027", "12-05-2027", "13-05-2027"], view.GetProperty("occurrences").EnumerateArray().Select(o => o.Text("date")));
        Assert.Equal(charged.Select(t => t.Id), view.GetProperty("occurrences").EnumerateArray().Select(o => o.GetProperty("transaction_id").GetInt64()));
    }

    [Fact]
    public async Task OccurrencesOlderThanTheCatchUpWindowAreRecordedAsMissedAndNotCharged()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-06-01 05:00:00");
        var card = await app.CardAsync(merchant, "window");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "3.00", "01-06-2027", 12));

        // Ten days later: 1-3 June fell due more than seven days ago; 4-10 June are within the window.
        await merchant.ClockAsync("2027-06-10 07:00:00");
        await app.RunSchedulesAsync();
        var made = await app.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal(10, made.Count);
        Assert.Equal(3, made.Count(t => t.Status == TransactionStatus.Failed && t.Reason!.StartsWith("Missed: due 0", StringComparison.Ordinal)));
        Assert.Equal(7, made.Count(t => t.Status == TransactionStatus.Complete));
        Assert.All(made.Take(3), t => Assert.Equal(TransactionStatus.Failed, t.Status));
    }

    [Fact]
    public async Task ADeclinedChargeRecordsAFailedTransactionWithAnErrorEventAndTheScheduleGoesOn()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-07-01 07:00:00");
        var card = await app.CardAsync(merchant, "declines", pan: "4000000000009995");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "weekly", "50.00", "01-07-2027", 2));
        await app.RunSchedulesAsync();
        var failed = Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));
        Assert.Equal(TransactionStatus.Failed, failed.Status);
        Assert.Equal("Insufficient funds", failed.Reason);
        Assert.Equal(["error"], (await app.EventsAsync(merchant.Id, failed.Id)).Select(e => e.GetString("Kind")));
        var view = (await merchant.Client.ViewAsync(failed.Id));
        Assert.Equal("declines", view.Text("merchant_reference"));
        Assert.Equal("Schedule", view.Text("service"));

        await merchant.ClockAsync("2027-07-08 07:00:00");
        await app.RunSchedulesAsync();
        Assert.Equal(2, (await app.ScheduledPaymentsAsync(merchant.Id)).Count);
        Assert.Equal("completed", (await merchant.SchedulesAsync(card))[0].Text("status"));
    }

    [Fact]
    public async Task ReplacedAndDeletedSchedulesNeverChargeTheirRemainingOccurrences()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-08-01 07:00:00");
        var card = await app.CardAsync(merchant, "stale");
        var first = await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "1.00", "01-08-2027", 5));
        await app.RunSchedulesAsync();

        var replaced = await (await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}", ScheduleKit.Schedule(0, "daily", "2.00", "02-08-2027", 5))).JsonAsync(200);
        var other = await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "4.00", "02-08-2027", 5));
        await (await merchant.Client.DeleteAsync($"/api/v1/payment-schedule/id/{other[0].Text("id")}")).JsonAsync(200);

        await merchant.ClockAsync("2027-08-03 07:00:00");
        await app.RunSchedulesAsync();
        var amounts = (await app.ScheduledPaymentsAsync(merchant.Id)).Select(t => t.AmountMinor).ToList();
        Assert.Equal([100L, 200, 200], amounts);
        var shown = await merchant.SchedulesAsync(card);
        Assert.Equal([replaced[0].Text("id")], shown.EnumerateArray().Select(s => s.Text("id")));
        Assert.NotEqual(first[0].Text("id"), replaced[0].Text("id"));
    }

    [Fact]
    public async Task DeletingTheCardStopsItsSchedulesEachWithAFailedPaymentAndAnErrorEvent()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-09-01 07:00:00");
        var card = await app.CardAsync(merchant, "leaving");
        await merchant.ScheduleAsync(card, [.. ScheduleKit.Schedule(0, "daily", "5.00", "01-09-2027", 5), .. ScheduleKit.Schedule(1, "weekly", "9.00", "05-09-2027", 2)]);
        await app.RunSchedulesAsync();
        Assert.Single(await app.ScheduledPaymentsAsync(merchant.Id));

        await (await merchant.Client.DeleteAsync("/api/v1/customer-token/leaving")).JsonAsync(200);
        var made = await app.ScheduledPaymentsAsync(merchant.Id);
        Assert.Equal([TransactionStatus.Complete, TransactionStatus.Failed, TransactionStatus.Failed], made.Select(t => t.Status));
        Assert.All(made.Skip(1), t => Assert.Equal("Card token deleted: payment schedule stopped", t.Reason));
        foreach (var stopped in made.Skip(1)) Assert.Equal(["error"], (await app.EventsAsync(merchant.Id, stopped.Id)).Select(e => e.GetString("Kind")));
        var views = await merchant.SchedulesAsync(card);
        Assert.Equal(["stopped", "stopped"], views.EnumerateArray().Select(v => v.Text("status")));
        Assert.All(views.EnumerateArray(), v => Assert.Equal(0, v.GetProperty("upcoming").GetArrayLength()));
        // Nothing of the card is kept once no charge with it can be in flight.
        Assert.Null(await app.Service<Gateway.Payments.CardVault>().GetStoredAsync(merchant.Id, card, CancellationToken.None));

        await merchant.ClockAsync("2027-09-20 07:00:00");
        await app.RunSchedulesAsync();
        Assert.Equal(3, (await app.ScheduledPaymentsAsync(merchant.Id)).Count);
        await (await merchant.Client.GetAsync("/api/v1/customer-token/leaving")).ErrorAsync(404);
    }

    [Fact]
    public async Task TheAdminEndpointRunsTheRunnerOnDemand()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-10-01 07:00:00");
        var card = await app.CardAsync(merchant, "on-demand");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "once_off", "15.00", "01-10-2027", 1));

        using var admin = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/functions/PaymentScheduleRunner");
        request.Headers.Add("x-functions-key", GatewayApp.FunctionsAdminKey);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.SendAsync(request)).StatusCode);
        await Eventually.HoldsAsync(async () => (await app.ScheduledPaymentsAsync(merchant.Id)).Count == 1, "the on-demand run charged the occurrence");
        Assert.Equal("completed", (await merchant.SchedulesAsync(card))[0].Text("status"));
    }
}
