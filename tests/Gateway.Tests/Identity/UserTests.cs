using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

public sealed class UserTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task CreateAcceptsEveryDocumentedFieldAndAnswers201WithLocation()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var username = Unique.Name("jo.doe+1@merchant");

        var response = await client.PostFormAsync("/api/v1/user",
            ("User[username]", username), ("User[role]", "agent"), ("User[password]", "secret password"),
            ("User[name]", "Zoë"), ("User[lastname]", "O'Brien"), ("User[email]", "zoe@merchant.co.za"),
            ("User[contact_number]", "0821234567"), ("User[extension]", "4444"));

        var user = await response.JsonAsync(201);
        Assert.Equal($"/api/v1/user/{user.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
        Assert.Equal("Zoë", user.GetProperty("name").GetString());
        Assert.Equal("O'Brien", user.GetProperty("lastname").GetString());
        Assert.Equal("zoe@merchant.co.za", user.GetProperty("email").GetString());
        Assert.Equal("0821234567", user.GetProperty("contact_number").GetString());
        Assert.Equal("4444", user.GetProperty("extension").GetString());
        Assert.Equal("agent", user.GetProperty("role").GetString());
        using var agent = app.ClientFor(new Credentials(username, "secret password"));
        await (await agent.PostAsync("/api/v1/token", null)).JsonAsync(200);
    }

    [Theory]
    [InlineData("User[username]", "", "User[username]")]
    [InlineData("User[username]", "ab", "User[username]")]
    [InlineData("User[username]", "has space", "User[username]")]
    [InlineData("User[username]", "quote'd", "User[username]")]
    [InlineData("User[username]", "ünïcode", "User[username]")]
    [InlineData("User[role]", "", "User[role]")]
    [InlineData("User[role]", "operator", "User[role]")]
    [InlineData("User[role]", "ADMIN", "User[role]")]
    [InlineData("User[email]", "not-an-email", "User[email]")]
    [InlineData("User[email]", "a@b", "User[email]")]
    [InlineData("User[contact_number]", "082-123", "User[contact_number]")]
    [InlineData("User[extension]", "ext", "User[extension]")]
    [InlineData("User[password]", "1234567", "User[password]")]
    [InlineData("User[name]", "tab\there", "User[name]")]
    public async Task InvalidUserFieldsAreA400NamingTheField(string field, string value, string named)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var fields = new Dictionary<string, string> { ["User[username]"] = Unique.Name("u"), ["User[role]"] = "agent", [field] = value };

        var response = await client.PostFormAsync("/api/v1/user", [.. fields.Select(f => (f.Key, f.Value))]);

        Assert.StartsWith(named, await response.ErrorAsync(400));
        var list = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task UsernamesAreUniqueAcrossThePlatformIgnoringCase()
    {
        var first = await app.CreateOrganisationAsync();
        var second = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(second.Admin);

        var response = await client.PostFormAsync("/api/v1/user", ("User[username]", first.Admin.Username.ToUpperInvariant()), ("User[role]", "agent"));

        Assert.Contains("already taken", await response.ErrorAsync(409));
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneUsernameMakeExactlyOneUser()
    {
        var organisations = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => app.CreateOrganisationAsync()));
        var username = Unique.Name("contested");

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var client = app.ClientFor(organisations[i % 3].Admin);
            return await client.PostFormAsync("/api/v1/user", ("User[username]", username), ("User[role]", "agent"));
        }));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(11, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var owners = 0;
        foreach (var organisation in organisations)
        {
            using var client = app.ClientFor(organisation.Admin);
            var users = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
            owners += users.EnumerateArray().Count(u => u.GetProperty("username").GetString() == username);
        }
        Assert.Equal(1, owners);
    }

    [Fact]
    public async Task UpdateChangesOnlyWhatWasSentAndAnEmptyValueClears()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var created = await (await client.PostFormAsync("/api/v1/user", ("User[username]", Unique.Name("u")), ("User[role]", "agent"),
            ("User[name]", "Jo"), ("User[email]", "jo@example.com"))).JsonAsync(201);
        var id = created.GetProperty("id").GetInt64();

        var updated = await (await client.PutFormAsync($"/api/v1/user/{id}", ("User[lastname]", "Doe"), ("User[email]", ""))).JsonAsync(200);

        Assert.Equal("Jo", updated.GetProperty("name").GetString());
        Assert.Equal("Doe", updated.GetProperty("lastname").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, updated.GetProperty("email").ValueKind);
        Assert.StartsWith("User[username]", await (await client.PutFormAsync($"/api/v1/user/{id}", ("User[username]", ""))).ErrorAsync(400));
    }

    [Fact]
    public async Task RenamingMovesTheLoginAndFreesTheOldUsername()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var admin = app.ClientFor(organisation.Admin);
        var newName = Unique.Name("renamed");

        await (await admin.PutFormAsync($"/api/v1/user/{agentId}", ("User[username]", newName))).JsonAsync(200);

        using var oldLogin = app.ClientFor(agent);
        await (await oldLogin.GetAsync($"/api/v1/user/{agentId}")).ErrorAsync(401);
        using var newLogin = app.ClientFor(agent with { Username = newName });
        await (await newLogin.GetAsync($"/api/v1/user/{agentId}")).JsonAsync(200);
        await (await admin.PostFormAsync("/api/v1/user", ("User[username]", agent.Username), ("User[role]", "agent"))).JsonAsync(201);
    }

    [Fact]
    public async Task AgentsCannotManageUsersAndSeeOnlyThemselves()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(agent);

        await (await client.GetAsync($"/api/v1/user/{agentId}")).JsonAsync(200);
        await (await client.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(403);
        await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).ErrorAsync(403);
        await (await client.PostFormAsync("/api/v1/user", ("User[username]", Unique.Name("x")), ("User[role]", "agent"))).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/user/{agentId}", ("User[role]", "administrator"))).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/user/{agentId}/activate", ("serviceId[]", "1"))).ErrorAsync(403);
        await (await client.PutFormAsync($"/api/v1/user/{agentId}/deactivate", ("serviceId[]", "1"))).ErrorAsync(403);
    }

    [Fact]
    public async Task AnotherOrganisationsUserIdsAnswer404ForEveryUserRoute()
    {
        var mine = await app.CreateOrganisationAsync();
        var theirs = await app.CreateOrganisationAsync();
        var (_, theirAgent) = await app.CreateUserAsync(theirs);
        using var client = app.ClientFor(mine.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{mine.Id}/licenseupdate", ("serviceId[1]", "5"))).JsonAsync(200);

        await (await client.GetAsync($"/api/v1/user/{theirAgent}")).ErrorAsync(404);
        await (await client.PutFormAsync($"/api/v1/user/{theirAgent}", ("User[name]", "Hijacked"))).ErrorAsync(404);
        await (await client.PutFormAsync($"/api/v1/user/{theirAgent}/activate", ("serviceId[]", "1"))).ErrorAsync(404);
        await (await client.PutFormAsync($"/api/v1/user/{theirAgent}/deactivate", ("serviceId[]", "1"))).ErrorAsync(404);
        await (await client.GetAsync($"/api/v1/user/{theirs.AdminId}")).ErrorAsync(404);

        using var theirAdmin = app.ClientFor(theirs.Admin);
        var untouched = await (await theirAdmin.GetAsync($"/api/v1/user/{theirAgent}")).JsonAsync(200);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, untouched.GetProperty("name").ValueKind);
        Assert.Equal(0, untouched.GetProperty("services").GetArrayLength());
    }

    [Fact]
    public async Task TheLastAdministratorCannotBeDemoted()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        Assert.Contains("last administrator", await (await client.PutFormAsync($"/api/v1/user/{organisation.AdminId}",
            ("User[role]", "agent"))).ErrorAsync(409));
    }

    [Fact]
    public async Task TwoAdministratorsDemotingEachOtherAtOnceLeaveOne()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (second, secondId) = await app.CreateUserAsync(organisation, "administrator");
        using var first = app.ClientFor(organisation.Admin);
        using var other = app.ClientFor(second);

        var responses = await Task.WhenAll(
            first.PutFormAsync($"/api/v1/user/{secondId}", ("User[role]", "agent")),
            other.PutFormAsync($"/api/v1/user/{organisation.AdminId}", ("User[role]", "agent")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        var survivor = responses[0].StatusCode == HttpStatusCode.OK ? organisation.Admin : second;
        using var survivorClient = app.ClientFor(survivor);
        var users = await (await survivorClient.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Single(users.EnumerateArray(), u => u.GetProperty("role").GetString() == "administrator");
    }
}
