using System.Text.Json;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Identity;

/// <summary>
/// The test clock's endpoints: who may read and set it, what it accepts, and that live organisations cannot have one.
/// On a manual clock, so real time is known to the second. (What follows the clock: <see cref="TestClockBehaviourTests"/>.)
/// </summary>
public sealed class TestClockTests(CalendarGatewayApp app) : IClassFixture<CalendarGatewayApp>
{
    private static string Url(long organisationId) => $"/api/v1/organisation/{organisationId}/test-clock";

    private static Task<HttpResponseMessage> SetAsync(HttpClient client, long organisationId, string now) =>
        client.PutFormAsync(Url(organisationId), ("now", now));

    private string RealNow(string zone = ApiTime.DefaultZone) => ApiTime.Show(app.Clock!.GetUtcNow(), zone);

    [Fact]
    public async Task AClockIsSetFrozenMovedBackAndResetToRealTime()
    {
        using var merchant = await app.MerchantAsync();
        var real = await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200);
        Assert.Equal(["organisation_id", "now", "test_clock"], real.Keys());
        Assert.Equal(merchant.Id, real.GetProperty("organisation_id").GetInt64());
        Assert.Equal(RealNow(), real.Text("now"));
        Assert.False(real.GetProperty("test_clock").GetBoolean());

        var set = await (await SetAsync(merchant.Client, merchant.Id, "2030-01-15 10:00:00")).JsonAsync(200);
        Assert.Equal(["organisation_id", "now", "test_clock"], set.Keys());
        Assert.Equal("2030-01-15 10:00:00", set.Text("now"));
        Assert.True(set.GetProperty("test_clock").GetBoolean());

        // Frozen: real time moves on, the organisation's time does not.
        app.Clock!.Advance(TimeSpan.FromHours(3));
        var frozen = await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200);
        Assert.Equal("2030-01-15 10:00:00", frozen.Text("now"));
        Assert.True(frozen.GetProperty("test_clock").GetBoolean());
        Assert.Equal("2030-01-15 10:00:00", (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200)).Text("test_clock"));

        // Backwards too, and as JSON.
        var back = await (await merchant.Client.SendJsonAsync(HttpMethod.Put, Url(merchant.Id), new { now = "2001-02-03 04:05:06" })).JsonAsync(200);
        Assert.Equal("2001-02-03 04:05:06", back.Text("now"));

        var reset = await (await merchant.Client.DeleteAsync(Url(merchant.Id))).JsonAsync(200);
        Assert.Equal(["organisation_id", "now", "test_clock"], reset.Keys());
        Assert.False(reset.GetProperty("test_clock").GetBoolean());
        Assert.Equal(RealNow(), reset.Text("now"));
        Assert.Equal(JsonValueKind.Null,
            (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200)).GetProperty("test_clock").ValueKind);
        Assert.Equal(RealNow(), (await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200)).Text("now"));
    }

    [Fact]
    public async Task BadTimesAreA400NamingNowAndLeaveTheClockAlone()
    {
        using var merchant = await app.MerchantAsync();
        await (await SetAsync(merchant.Client, merchant.Id, "2030-01-15 10:00:00")).JsonAsync(200);
        var bad = new[]
        {
            "2026-13-01 00:00:00", "2030-02-30 00:00:00", "2030-01-15", "2030-01-15T10:00:00", "15-01-2030 10:00:00",
            "2030-01-15 24:00:00", "1999-12-31 23:59:59", "2100-01-01 00:00:00", "tomorrow", "2030-01-15 10:00:00' or '1'='1",
            "\u202E2030-01-15 10:00", "2030-01-15\u000010:00:00", "２０３０-01-15 10:00:00",
        };
        foreach (var now in bad)
        {
            Assert.StartsWith("now:", await (await SetAsync(merchant.Client, merchant.Id, now)).ErrorAsync(400));
        }
        Assert.Contains("2000 to 2099", await (await SetAsync(merchant.Client, merchant.Id, "2100-01-01 00:00:00")).ErrorAsync(400));
        Assert.Equal("now: is required.", await (await merchant.Client.PutFormAsync(Url(merchant.Id))).ErrorAsync(400));
        Assert.Equal("now: is required.", await (await SetAsync(merchant.Client, merchant.Id, "   ")).ErrorAsync(400));
        foreach (var json in new[] { "{\"now\": 20300115}", "{\"now\": {\"x\": 1}}", "{\"now\": [\"2030-01-15 10:00:00\"]}", "{\"now\": true}" })
        {
            Assert.StartsWith("now", await (await merchant.Client.SendRawAsync(HttpMethod.Put, Url(merchant.Id), json, "application/json")).ErrorAsync(400));
        }
        await (await merchant.Client.SendRawAsync(HttpMethod.Put, Url(merchant.Id), "{\"now\":", "application/json")).ErrorAsync(400);
        await (await merchant.Client.SendRawAsync(HttpMethod.Put, Url(merchant.Id), "<now/>", "application/xml")).ErrorAsync(415);

        Assert.Equal("2030-01-15 10:00:00", (await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200)).Text("now"));
    }

    [Fact]
    public async Task ATimeTheClocksSkipIsRefusedAndARepeatedOneIsTheEarlierInstant()
    {
        using var merchant = await app.MerchantAsync(timezone: "Europe/London");
        // 28 March 2027: London's clocks jump from 01:00 to 02:00.
        var gap = await (await SetAsync(merchant.Client, merchant.Id, "2027-03-28 01:30:00")).ErrorAsync(400);
        Assert.StartsWith("now:", gap);
        Assert.Contains("does not exist in Europe/London", gap);
        Assert.False((await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200)).GetProperty("test_clock").GetBoolean());
        Assert.Equal("2027-03-28 02:00:00", (await (await SetAsync(merchant.Client, merchant.Id, "2027-03-28 02:00:00")).JsonAsync(200)).Text("now"));

        // 31 October 2027: 01:30 happens twice (BST, then GMT); the first is 00:30 UTC.
        Assert.Equal("2027-10-31 01:30:00", (await (await SetAsync(merchant.Client, merchant.Id, "2027-10-31 01:30:00")).JsonAsync(200)).Text("now"));
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[timezone]", "UTC"))).JsonAsync(200);
        Assert.Equal("2027-10-31 00:30:00", (await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200)).Text("now"));
    }

    [Fact]
    public async Task LiveOrganisationsHaveNoTestClockAndGoingLiveStopsOne()
    {
        using var live = await app.MerchantAsync(mode: "live");
        Assert.Contains("only for test-mode organisations", await (await SetAsync(live.Client, live.Id, "2030-01-15 10:00:00")).ErrorAsync(409));
        Assert.Contains("only for test-mode organisations", await (await live.Client.DeleteAsync(Url(live.Id))).ErrorAsync(409));
        var real = await (await live.Client.GetAsync(Url(live.Id))).JsonAsync(200);
        Assert.False(real.GetProperty("test_clock").GetBoolean());
        Assert.Equal(RealNow(), real.Text("now"));

        using var merchant = await app.MerchantAsync();
        await (await SetAsync(merchant.Client, merchant.Id, "2030-01-15 10:00:00")).JsonAsync(200);
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        var switched = await (await operatorClient.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[mode]", "live"))).JsonAsync(200);
        Assert.Equal(JsonValueKind.Null, switched.GetProperty("test_clock").ValueKind);
        var now = await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200);
        Assert.False(now.GetProperty("test_clock").GetBoolean());
        Assert.Equal(RealNow(), now.Text("now"));

        // Back in test mode the old clock does not come back.
        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[mode]", "test"))).JsonAsync(200);
        Assert.False((await (await merchant.Client.GetAsync(Url(merchant.Id))).JsonAsync(200)).GetProperty("test_clock").GetBoolean());
    }

    [Fact]
    public async Task AdministratorsApiKeysAndOperatorsMaySetItAgentsMayNot()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).Text("key");
        using var withKey = app.ClientWithApiKey(key);
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        var (agent, _) = await app.CreateUserAsync(organisation);
        using var agentClient = app.ClientFor(agent);

        Assert.Equal("2030-01-01 00:00:00", (await (await SetAsync(withKey, organisation.Id, "2030-01-01 00:00:00")).JsonAsync(200)).Text("now"));
        Assert.Equal("2030-01-01 00:00:00", (await (await withKey.GetAsync(Url(organisation.Id))).JsonAsync(200)).Text("now"));
        Assert.Equal("2030-06-01 00:00:00", (await (await SetAsync(operatorClient, organisation.Id, "2030-06-01 00:00:00")).JsonAsync(200)).Text("now"));
        Assert.Equal("2030-06-01 00:00:00", (await (await operatorClient.GetAsync(Url(organisation.Id))).JsonAsync(200)).Text("now"));

        await (await agentClient.GetAsync(Url(organisation.Id))).ErrorAsync(403);
        await (await SetAsync(agentClient, organisation.Id, "2031-01-01 00:00:00")).ErrorAsync(403);
        await (await agentClient.DeleteAsync(Url(organisation.Id))).ErrorAsync(403);
        Assert.Equal("2030-06-01 00:00:00", (await (await admin.GetAsync(Url(organisation.Id))).JsonAsync(200)).Text("now"));

        Assert.False((await (await withKey.DeleteAsync(Url(organisation.Id))).JsonAsync(200)).GetProperty("test_clock").GetBoolean());
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync(Url(organisation.Id))).ErrorAsync(401);
    }

    [Fact]
    public async Task AnotherOrganisationsClockIsNotFoundAndStaysAsItWas()
    {
        using var owner = await app.MerchantAsync();
        await (await SetAsync(owner.Client, owner.Id, "2030-01-15 10:00:00")).JsonAsync(200);
        var other = await app.CreateOrganisationAsync();
        using var otherAdmin = app.ClientFor(other.Admin);
        var otherKey = (await (await otherAdmin.PostFormAsync($"/api/v1/organisation/{other.Id}/api-key")).JsonAsync(201)).Text("key");
        using var otherWithKey = app.ClientWithApiKey(otherKey);

        foreach (var client in new[] { otherAdmin, otherWithKey })
        {
            Assert.Equal("Organisation not found.", await (await client.GetAsync(Url(owner.Id))).ErrorAsync(404));
            Assert.Equal("Organisation not found.", await (await SetAsync(client, owner.Id, "2040-01-01 00:00:00")).ErrorAsync(404));
            Assert.Equal("Organisation not found.", await (await client.DeleteAsync(Url(owner.Id))).ErrorAsync(404));
        }
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        await (await operatorClient.GetAsync(Url(999_999_999))).ErrorAsync(404);
        await (await SetAsync(operatorClient, 999_999_999, "2040-01-01 00:00:00")).ErrorAsync(404);

        var kept = await (await owner.Client.GetAsync(Url(owner.Id))).JsonAsync(200);
        Assert.Equal("2030-01-15 10:00:00", kept.Text("now"));
        Assert.True(kept.GetProperty("test_clock").GetBoolean());
        Assert.False((await (await otherAdmin.GetAsync(Url(other.Id))).JsonAsync(200)).GetProperty("test_clock").GetBoolean());
    }
}
