using System.Text;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Schedules;

/// <summary>The schedule endpoints as the documents show them, what they refuse, and what another organisation can't touch.</summary>
public sealed class ScheduleApiTests(ScheduleApp app) : IClassFixture<ScheduleApp>
{
    [Fact]
    public async Task CreateUpdateViewAndDeleteAnswerAsTheDocumentsShow()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "reference3");

        // The documents' create: two schedules, the reference taken from the card token.
        var created = await merchant.ScheduleAsync(card,
            [.. ScheduleKit.Schedule(0, "monthly", "100.50", "18-04-2027", 2), .. ScheduleKit.Schedule(1, "weekly", "80", "01-05-2027", 4)]);
        Assert.Equal(2, created.GetArrayLength());
        var monthly = created[0];
        Assert.Equal(["id", "interval", "amount", "start_date", "count", "reference", "status"], monthly.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("monthly", "100.50", "18-04-2027", 2, "reference3", "active"),
            (monthly.Text("interval"), monthly.Text("amount"), monthly.Text("start_date"), monthly.GetProperty("count").GetInt32(), monthly.Text("reference"), monthly.Text("status")));
        Assert.Equal("80.00", created[1].Text("amount"));

        // The card's view adds the upcoming dates and the occurrences so far.
        var viewed = await merchant.SchedulesAsync(card);
        Assert.Equal(["01-05-2027", "08-05-2027", "15-05-2027", "22-05-2027"], viewed[1].GetProperty("upcoming").Strings());
        Assert.Equal(0, viewed[1].GetProperty("occurrences").GetArrayLength());

        // A merchant_reference of its own; the update replaces both with the one sent.
        var replaced = await (await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}",
            [("merchant_reference", "gym-2027"), .. ScheduleKit.Schedule(0, "monthly", "100.50", "01-05-2027", 2)])).JsonAsync(200);
        var kept = Assert.Single(replaced.EnumerateArray());
        Assert.Equal("gym-2027", kept.Text("reference"));
        Assert.Equal([kept.Text("id")], (await merchant.SchedulesAsync(card)).EnumerateArray().Select(s => s.Text("id")));

        // The organisation's list, filtered by start date.
        var later = await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "once_off", "5", "01-01-2028", 1));
        var list = $"/api/v1/payment-schedule/{merchant.Id}/organisation";
        Assert.Equal(2, (await (await merchant.Client.GetAsync(list)).JsonAsync(200)).GetArrayLength());
        var filtered = await (await merchant.Client.GetAsync(list + "?from_date=01-12-2027&to_date=31-12-2028")).JsonAsync(200);
        Assert.Equal([later[0].Text("id")], filtered.EnumerateArray().Select(s => s.Text("id")));

        var one = await (await merchant.Client.DeleteAsync($"/api/v1/payment-schedule/id/{later[0].Text("id")}")).JsonAsync(200);
        Assert.Equal($"{{\"success\":true,\"message\":\"Payment schedule ID {later[0].Text("id")} successfully deleted\"}}", one.GetRawText());
        var all = await (await merchant.Client.DeleteAsync($"/api/v1/payment-schedule/{card}")).JsonAsync(200);
        Assert.Equal("{\"success\":true,\"message\":\"Payment schedules successfully deleted with reference reference3\"}", all.GetRawText());
        Assert.Equal(0, (await merchant.SchedulesAsync(card)).GetArrayLength());
        await (await merchant.Client.DeleteAsync($"/api/v1/payment-schedule/id/{later[0].Text("id")}")).ErrorAsync(404);
    }

    [Fact]
    public async Task TheOrganisationsListComesInPagesFollowingTheLinkHeader()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "paged");
        var created = await merchant.ScheduleAsync(card, [.. Enumerable.Range(0, 5).SelectMany(n => ScheduleKit.Schedule(n, "weekly", $"{n + 1}.00", "05-04-2027", 2))]);
        var ids = created.EnumerateArray().Select(s => s.Text("id")).ToList();

        var seen = new List<string>();
        var url = $"/api/v1/payment-schedule/{merchant.Id}/organisation?limit=2&from_date=01-04-2027";
        for (var page = 0; url is not null; page++)
        {
            Assert.True(page < 3, "More pages than expected.");
            var response = await merchant.Client.GetAsync(url);
            var items = await response.JsonAsync(200);
            seen.AddRange(items.EnumerateArray().Select(s => s.Text("id")));
            url = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
            if (url is not null) Assert.Equal(items[1].Text("id"), response.Headers.GetValues("X-Next-Page-Token").Single());
        }
        Assert.Equal(ids, seen);
        foreach (var bad in new[] { "limit=0", "limit=1001", "limit=x", "page_token=-1", "page_token=abc" })
        {
            await (await merchant.Client.GetAsync($"/api/v1/payment-schedule/{merchant.Id}/organisation?{bad}")).ErrorAsync(400);
        }
    }

    [Fact]
    public async Task JsonClientsSendTheSchedulesAsAnArray()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "json-client");
        var created = await (await merchant.Client.SendJsonAsync(HttpMethod.Post, "/api/v1/payment-schedule", new
        {
            guid = card,
            schedules = new object[] { new { interval = "daily", amount = 12.5, start_date = "02-04-2027", count = 3 } },
        })).JsonAsync(200);
        Assert.Equal(("12.50", 3), (created[0].Text("amount"), created[0].GetProperty("count").GetInt32()));
    }

    [Theory]
    [InlineData("schedules[0][interval]=yearly", "schedules[0][interval]")]
    [InlineData("schedules[0][amount]=0", "schedules[0][amount]")]
    [InlineData("schedules[0][amount]=1.001", "schedules[0][amount]")]
    [InlineData("schedules[0][start_date]=2027-04-02", "schedules[0][start_date]")]
    [InlineData("schedules[0][start_date]=31-02-2027", "schedules[0][start_date]")]
    [InlineData("schedules[0][start_date]=31-03-2027", "must be today")]
    [InlineData("schedules[0][start_date]=01-01-2099", "five years")]
    [InlineData("schedules[0][count]=0", "schedules[0][count]")]
    [InlineData("schedules[0][count]=1001", "schedules[0][count]")]
    [InlineData("schedules[0][count]=2.5", "schedules[0][count]")]
    [InlineData("schedules[0][interval]=once_off", "once_off")]
    [InlineData("schedules[1]=flat", "schedules[1]")]
    [InlineData("schedules=flat", "schedules")]
    [InlineData("merchant_reference=a%E2%80%AEb", "merchant_reference")]
    [InlineData("guid=not-a-guid", "guid")]
    [InlineData("guid=5b1b3ef0-0000-4000-8000-000000000000", "guid")]
    [InlineData("guid='%20or%20''='", "guid")]
    public async Task BadFieldsAreA400NamingTheFieldAndCreateNothing(string change, string expected)
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "bad-input");
        var fields = new Dictionary<string, string>
        {
            ["guid"] = card.ToString(), ["schedules[0][interval]"] = "weekly", ["schedules[0][amount]"] = "10.00",
            ["schedules[0][start_date]"] = "02-04-2027", ["schedules[0][count]"] = "4",
        };
        var (key, value) = (change[..change.IndexOf('=')], Uri.UnescapeDataString(change[(change.IndexOf('=') + 1)..]));
        fields[key] = value;
        var error = await (await merchant.Client.PostFormAsync("/api/v1/payment-schedule", [.. fields.Select(f => (f.Key, f.Value))])).ErrorAsync(400);
        Assert.Contains(expected, error);
        Assert.Equal(0, (await merchant.SchedulesAsync(card)).GetArrayLength());
    }

    [Fact]
    public async Task MalformedBodiesAndTooManySchedulesAre4xxAndWriteNothing()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "malformed");
        foreach (var (method, url) in new[] { (HttpMethod.Post, "/api/v1/payment-schedule"), (HttpMethod.Put, $"/api/v1/payment-schedule/{card}") })
        {
            foreach (var json in new[] { "{\"guid\":", "[]", "null", "{\"schedules\": 42}", "{\"schedules\": [42]}", "{\"guid\": {\"x\": 1}}", "{\"a\":1,\"A\":2}" })
            {
                await (await Send(merchant.Client, method, url, json, "application/json")).ErrorAsync(400);
            }
            await (await Send(merchant.Client, method, url, "guid=1", "text/plain")).ErrorAsync(415);
            await (await Send(merchant.Client, method, url, "guid=" + new string('1', 3 * 1024 * 1024), "application/x-www-form-urlencoded")).ErrorAsync(413);
            await (await merchant.Client.SendAsync(new HttpRequestMessage(method, url)
            {
                Content = new FormUrlEncodedContent([new("guid", card.ToString()), .. Enumerable.Range(0, 26).SelectMany(n => ScheduleKit.Schedule(n, "daily", "1", "02-04-2027", 1)).Select(f => KeyValuePair.Create(f.Item1, f.Item2))]),
            })).ErrorAsync(400);
        }
        await (await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}", [("guid", Guid.NewGuid().ToString()), .. ScheduleKit.Schedule(0, "daily", "1", "02-04-2027", 1)])).ErrorAsync(400);
        await (await merchant.Client.GetAsync($"/api/v1/payment-schedule/{merchant.Id}/organisation?from_date=2027-01-01")).ErrorAsync(400);
        await (await merchant.Client.GetAsync($"/api/v1/payment-schedule/{merchant.Id}/organisation?from_date=02-01-2027&to_date=01-01-2027")).ErrorAsync(400);
        await (await merchant.Client.GetAsync($"/api/v1/payment-schedule/{merchant.Id}/organisation?from_date=01-01-2027&from_date=02-01-2027")).ErrorAsync(400);
        Assert.Equal(0, (await merchant.SchedulesAsync(card)).GetArrayLength());
    }

    [Fact]
    public async Task ACardHasAtMostFiftyActiveSchedules()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "many");
        var fields = Enumerable.Range(0, 25).SelectMany(n => ScheduleKit.Schedule(n, "weekly", "1", "05-04-2027", 2)).ToArray();
        await merchant.ScheduleAsync(card, fields);
        await merchant.ScheduleAsync(card, fields);
        await (await merchant.Client.PostFormAsync("/api/v1/payment-schedule", [("guid", card.ToString()), .. ScheduleKit.Schedule(0, "daily", "1", "05-04-2027", 1)])).ErrorAsync(409);
        // Replacing them all is one write: 50 ended, 25 added.
        Assert.Equal(25, (await (await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}", fields)).JsonAsync(200)).GetArrayLength());
        Assert.Equal(25, (await merchant.SchedulesAsync(card)).GetArrayLength());
    }

    [Fact]
    public async Task ConcurrentCreatesNeverTakeACardPastFiftyActiveSchedules()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "racing-creates");
        var fields = Enumerable.Range(0, 20).SelectMany(n => ScheduleKit.Schedule(n, "weekly", "1", "05-04-2027", 2)).ToArray();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            (int)(await merchant.Client.PostFormAsync("/api/v1/payment-schedule", [("guid", card.ToString()), .. fields])).StatusCode)));

        Assert.Equal([200, 200, 409, 409, 409, 409], statuses.Order());
        Assert.Equal(40, (await merchant.SchedulesAsync(card)).GetArrayLength());
    }

    [Fact]
    public async Task ASchedulePostedWhileItsCardIsDeletedIsRefusedOrStoppedNeverLeftActive()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var store = app.Service<Gateway.Schedules.ScheduleStore>();
        for (var trial = 0; trial < 10; trial++)
        {
            var card = await app.CardAsync(merchant, $"race-delete-{trial}");
            var posted = Task.Run(async () => (int)(await merchant.Client.PostFormAsync("/api/v1/payment-schedule",
                [("guid", card.ToString()), .. ScheduleKit.Schedule(0, "monthly", "3.00", "01-06-2027", 2)])).StatusCode);
            var deleted = Task.Run(async () => (int)(await merchant.Client.DeleteAsync($"/api/v1/customer-token/{card}")).StatusCode);
            Assert.Equal(200, await deleted);
            Assert.Contains(await posted, new[] { 200, 400 });
            var schedules = await store.ListAsync(merchant.Id, card, CancellationToken.None);
            Assert.DoesNotContain(schedules, s => s.State == Gateway.Schedules.ScheduleStates.Active);
        }
    }

    [Fact]
    public async Task AnotherOrganisationsCardsAndSchedulesAreNotFoundByAnyRoute()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        await owner.ClockAsync("2027-04-01 10:00:00");
        await other.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(owner, "owned");
        var schedule = await owner.ScheduleAsync(card, ScheduleKit.Schedule(0, "weekly", "7.00", "02-04-2027", 3));
        var id = schedule[0].Text("id");

        Assert.Contains("guid", await (await other.Client.PostFormAsync("/api/v1/payment-schedule", [("guid", card.ToString()), .. ScheduleKit.Schedule(0, "daily", "1", "02-04-2027", 1)])).ErrorAsync(400));
        await (await other.Client.PutFormAsync($"/api/v1/payment-schedule/{card}", ScheduleKit.Schedule(0, "daily", "1", "02-04-2027", 1))).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/payment-schedule/{card}")).ErrorAsync(404);
        await (await other.Client.DeleteAsync($"/api/v1/payment-schedule/{card}")).ErrorAsync(404);
        await (await other.Client.DeleteAsync($"/api/v1/payment-schedule/id/{id}")).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/payment-schedule/{owner.Id}/organisation")).ErrorAsync(404);
        Assert.Equal(0, (await (await other.Client.GetAsync($"/api/v1/payment-schedule/{other.Id}/organisation")).JsonAsync(200)).GetArrayLength());

        // Odd ids are simply not found either.
        foreach (var odd in new[] { "0", "-1", "1e3", "%27", "99999999999999999999" })
        {
            await (await owner.Client.DeleteAsync($"/api/v1/payment-schedule/id/{odd}")).ErrorAsync(404);
        }
        await (await owner.Client.GetAsync("/api/v1/payment-schedule/not-a-guid")).ErrorAsync(404);

        var untouched = Assert.Single((await owner.SchedulesAsync(card)).EnumerateArray());
        Assert.Equal((id, "active", 3), (untouched.Text("id"), untouched.Text("status"), untouched.GetProperty("upcoming").GetArrayLength()));
    }

    [Fact]
    public async Task ConcurrentUpdatesOfOneCardLeaveExactlyOneUpdatesSchedulesActive()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.ClockAsync("2027-04-01 10:00:00");
        var card = await app.CardAsync(merchant, "racing-updates");
        await merchant.ScheduleAsync(card, ScheduleKit.Schedule(0, "daily", "1.00", "02-04-2027", 3));

        var answers = await Task.WhenAll(Enumerable.Range(1, 30).Select(n => Task.Run(async () =>
            await (await merchant.Client.PutFormAsync($"/api/v1/payment-schedule/{card}",
                [.. ScheduleKit.Schedule(0, "weekly", $"{n}.00", "05-04-2027", 2), .. ScheduleKit.Schedule(1, "monthly", $"{n}.00", "05-04-2027", 2)])).JsonAsync(200))));

        var active = (await merchant.SchedulesAsync(card)).EnumerateArray().ToList();
        Assert.Equal(2, active.Count);
        // Both are from one update (the last to commit); each update's answer lists exactly what it wrote.
        Assert.Single(active.Select(s => s.Text("amount")).Distinct());
        Assert.Contains(answers, a => a.EnumerateArray().Select(s => s.Text("id")).SequenceEqual(active.Select(s => s.Text("id"))));
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string body, string mediaType) =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8, mediaType) });
}
