using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

public sealed class ApiKeyTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task AKeyIsShownOnceListedByPrefixAndWorksAsXApiKey()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);

        var created = await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key",
            ("ApiKey[mode]", "test"), ("ApiKey[name]", "Checkout server"))).JsonAsync(201);
        var key = created.GetProperty("key").GetString()!;
        Assert.StartsWith("sk_test_", key);
        Assert.Equal(key[..12], created.GetProperty("prefix").GetString());

        var listed = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(200);
        var entry = listed.EnumerateArray().Single();
        Assert.Equal(["id", "name", "mode", "prefix", "created"], entry.Keys());
        Assert.Equal("Checkout server", entry.GetProperty("name").GetString());
        Assert.DoesNotContain(key, listed.GetRawText());

        using var withKey = app.ClientWithApiKey(key);
        var viewed = await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(organisation.Id, viewed.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task ARevokedKeyStopsWorkingAtOnce()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var created = await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201);
        using var withKey = app.ClientWithApiKey(created.GetProperty("key").GetString()!);
        await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);

        var revoke = await admin.DeleteAsync($"/api/v1/organisation/{organisation.Id}/api-key/{created.GetProperty("id").GetString()}");

        Assert.Equal(204, (int)revoke.StatusCode);
        await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).ErrorAsync(401);
        var listed = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(200);
        Assert.Equal(0, listed.GetArrayLength());
        await (await admin.DeleteAsync($"/api/v1/organisation/{organisation.Id}/api-key/{created.GetProperty("id").GetString()}")).ErrorAsync(404);
    }

    [Fact]
    public async Task KeysCannotManageUsersLicencesOrOtherKeys()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).GetProperty("key").GetString()!;
        using var client = app.ClientWithApiKey(key);

        await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).ErrorAsync(403);
        await (await client.PostFormAsync("/api/v1/user", ("User[username]", Unique.Name("x")), ("User[role]", "administrator"))).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "9"))).ErrorAsync(403);
        await (await client.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).ErrorAsync(403);
        await (await client.PostAsync("/api/v1/token", null)).ErrorAsync(403);
    }

    [Fact]
    public async Task ATestOrganisationCannotHaveLiveKeysButALiveOneCan()
    {
        var test = await app.CreateOrganisationAsync();
        using var testAdmin = app.ClientFor(test.Admin);
        await (await testAdmin.PostFormAsync($"/api/v1/organisation/{test.Id}/api-key", ("ApiKey[mode]", "live"))).ErrorAsync(403);
        Assert.StartsWith("ApiKey[mode]", await (await testAdmin.PostFormAsync($"/api/v1/organisation/{test.Id}/api-key",
            ("ApiKey[mode]", "prod"))).ErrorAsync(400));

        var live = await app.CreateOrganisationAsync(mode: "live");
        using var liveAdmin = app.ClientFor(live.Admin);
        var key = await (await liveAdmin.PostFormAsync($"/api/v1/organisation/{live.Id}/api-key", ("ApiKey[mode]", "live"))).JsonAsync(201);
        Assert.StartsWith("sk_live_", key.GetProperty("key").GetString());
    }

    [Fact]
    public async Task KeysDoNotSeeTheApiSaltThatPeopleSee()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).GetProperty("key").GetString()!;
        using var withKey = app.ClientWithApiKey(key);

        Assert.DoesNotContain("api_salt", (await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200)).Keys());
        Assert.Contains("api_salt", (await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200)).Keys());
    }

    [Fact]
    public async Task LiveKeysStopWhileTheOrganisationIsInTestModeAndTestKeysGoOn()
    {
        var organisation = await app.CreateOrganisationAsync(mode: "live");
        using var admin = app.ClientFor(organisation.Admin);
        var live = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key", ("ApiKey[mode]", "live"))).JsonAsync(201)).GetProperty("key").GetString()!;
        var test = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key", ("ApiKey[mode]", "test"))).JsonAsync(201)).GetProperty("key").GetString()!;
        using var operatorClient = app.ClientFor(await app.OperatorAsync());

        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{organisation.Id}", ("Organisation[mode]", "test"))).JsonAsync(200);

        using var withLive = app.ClientWithApiKey(live);
        Assert.Contains("test mode", await (await withLive.GetAsync($"/api/v1/organisation/{organisation.Id}")).ErrorAsync(401));
        using var withTest = app.ClientWithApiKey(test);
        await (await withTest.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
    }

    [Fact]
    public async Task KeysAreStoredOnlyAsHashes()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).GetProperty("key").GetString()!;
        var tables = app.Service<GatewayTables>();

        foreach (var table in new[] { tables.ApiKeys, tables.Identity })
        {
            await foreach (var row in table.QueryAsync<TableEntity>())
            {
                Assert.DoesNotContain(key, string.Join(' ', row.Select(p => p.Value)));
            }
        }
        Assert.NotNull(await tables.ApiKeys.FindAsync(Secrets.Fingerprint(key), "apikey"));
    }

    [Theory]
    [InlineData("sk_test_unknown-key-value-000000000")]
    [InlineData("short")]
    [InlineData("x' or PartitionKey ne '")]
    public async Task UnknownKeysAreA401(string key)
    {
        using var client = app.ClientWithApiKey(key);
        await (await client.GetAsync("/api/v1/organisation/1")).ErrorAsync(401);
    }
}
