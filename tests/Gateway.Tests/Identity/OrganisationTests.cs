using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

public sealed class OrganisationTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task OperatorCreatesAnOrganisationWithDocumentedDefaultsAndItsFirstAdministrator()
    {
        using var client = app.ClientFor(await app.OperatorAsync());
        var username = Unique.Name("first-admin");

        var response = await client.PostFormAsync("/api/v1/organisation",
            ("Organisation[name]", "Acme O'Brien & Sons"), ("User[username]", username), ("User[password]", "correct horse battery"));

        var body = await response.JsonAsync(201);
        var organisation = body.GetProperty("Organisation");
        Assert.Equal(["id", "name", "currency", "timezone", "mode", "api_salt", "created", "test_clock", "licenses",
            "webhook_success_url", "webhook_error_url", "webhook_refund_url", "webhook_secret", "three_d_secure",
            "receipt_sms_template", "receipt_email_subject", "receipt_email_template", "basket_limits",
            "cashier_webhook_url", "collections_webhook_url", "signature_password", "payment_partitions"], organisation.Keys());
        Assert.Equal(0, organisation.GetProperty("basket_limits").GetInt32());
        Assert.Equal(8, organisation.GetProperty("payment_partitions").GetInt32());
        Assert.Equal("when_required", organisation.GetProperty("three_d_secure").GetString());
        Assert.Equal("Acme O'Brien & Sons", organisation.GetProperty("name").GetString());
        Assert.Equal("ZAR", organisation.GetProperty("currency").GetString());
        Assert.Equal("Africa/Johannesburg", organisation.GetProperty("timezone").GetString());
        Assert.Equal("test", organisation.GetProperty("mode").GetString());
        Assert.Matches("^[0-9a-f]{32}$", organisation.GetProperty("api_salt").GetString());
        Assert.Equal($"/api/v1/organisation/{organisation.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
        var admin = body.GetProperty("User");
        Assert.Equal("administrator", admin.GetProperty("role").GetString());
        Assert.Equal(organisation.GetProperty("id").GetInt64(), admin.GetProperty("organisation_id").GetInt64());

        using var adminClient = app.ClientFor(new Credentials(username, "correct horse battery"));
        await (await adminClient.PostAsync("/api/v1/token", null)).JsonAsync(200);
    }

    [Fact]
    public async Task OnlyOperatorsCreateOrganisations()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);

        var response = await admin.PostFormAsync("/api/v1/organisation",
            ("Organisation[name]", "Sneaky"), ("User[username]", Unique.Name("x")), ("User[password]", "password123"));

        await response.ErrorAsync(403);
    }

    [Theory]
    [InlineData("Organisation[currency]", "XYZ", "Organisation[currency]")]
    [InlineData("Organisation[timezone]", "Mars/Olympus", "Organisation[timezone]")]
    [InlineData("Organisation[timezone]", "South Africa Standard Time", "Organisation[timezone]")]
    [InlineData("Organisation[mode]", "production", "Organisation[mode]")]
    [InlineData("Organisation[name]", "", "Organisation[name]")]
    [InlineData("User[password]", "", "User[password]")]
    [InlineData("User[password]", "short", "User[password]")]
    [InlineData("User[role]", "agent", "User[role]")]
    public async Task InvalidOrganisationFieldsAreA400NamingTheField(string field, string value, string named)
    {
        using var client = app.ClientFor(await app.OperatorAsync());
        var fields = new Dictionary<string, string>
        {
            ["Organisation[name]"] = "Valid",
            ["User[username]"] = Unique.Name("u"),
            ["User[password]"] = "password123",
            [field] = value,
        };

        var response = await client.PostFormAsync("/api/v1/organisation", [.. fields.Select(f => (f.Key, f.Value))]);

        Assert.StartsWith(named, await response.ErrorAsync(400));
    }

    [Fact]
    public async Task AdministratorsReadAndUpdateTheirOwnOrganisationButNotItsMode()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);

        var updated = await (await admin.PutFormAsync($"/api/v1/organisation/{organisation.Id}",
            ("Organisation[name]", "Renamed"), ("Organisation[timezone]", "Europe/London"), ("Organisation[currency]", "usd"))).JsonAsync(200);
        Assert.Equal("Renamed", updated.GetProperty("name").GetString());
        Assert.Equal("Europe/London", updated.GetProperty("timezone").GetString());
        Assert.Equal("USD", updated.GetProperty("currency").GetString());

        var viewed = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(updated.ToString(), viewed.ToString());

        Assert.StartsWith("Organisation[mode]", await (await admin.PutFormAsync($"/api/v1/organisation/{organisation.Id}",
            ("Organisation[mode]", "live"))).ErrorAsync(403));
    }

    [Fact]
    public async Task OperatorsSwitchModeAndReadAnyOrganisation()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var operatorClient = app.ClientFor(await app.OperatorAsync());

        var live = await (await operatorClient.PutFormAsync($"/api/v1/organisation/{organisation.Id}", ("Organisation[mode]", "live"))).JsonAsync(200);
        Assert.Equal("live", live.GetProperty("mode").GetString());
        var viewed = await (await operatorClient.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal("live", viewed.GetProperty("mode").GetString());
        await (await operatorClient.GetAsync("/api/v1/organisation/999999999")).ErrorAsync(404);
    }

    [Fact]
    public async Task AnotherOrganisationsIdsAnswer404ForEveryOrganisationRoute()
    {
        var mine = await app.CreateOrganisationAsync();
        var theirs = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(mine.Admin);
        var other = $"/api/v1/organisation/{theirs.Id}";

        await (await client.GetAsync(other)).ErrorAsync(404);
        await (await client.PutFormAsync(other, ("Organisation[name]", "Hijacked"))).ErrorAsync(404);
        await (await client.PutFormAsync($"{other}/licenseupdate", ("serviceId[1]", "99"))).ErrorAsync(404);
        await (await client.GetAsync($"{other}/user")).ErrorAsync(404);
        await (await client.PostFormAsync($"{other}/api-key", ("ApiKey[mode]", "test"))).ErrorAsync(404);
        await (await client.GetAsync($"{other}/api-key")).ErrorAsync(404);
        await (await client.DeleteAsync($"{other}/api-key/key_0123456789abcdef")).ErrorAsync(404);

        using var theirAdmin = app.ClientFor(theirs.Admin);
        var untouched = await (await theirAdmin.GetAsync(other)).JsonAsync(200);
        Assert.Equal("Org " + theirs.Admin.Username, untouched.GetProperty("name").GetString());
        Assert.Equal(0, untouched.GetProperty("licenses").GetArrayLength());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999999")]
    public async Task NonNumericOrganisationIdsAreNotFound(string id)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        await (await client.GetAsync($"/api/v1/organisation/{id}")).ErrorAsync(404);
    }

    [Fact]
    public async Task AgentsCannotReadOrChangeTheOrganisation()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, _) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(agent);

        await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}")).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}", ("Organisation[name]", "x"))).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "5"))).ErrorAsync(403);
    }
}
