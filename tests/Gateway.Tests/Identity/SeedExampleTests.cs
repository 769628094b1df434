using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

/// <summary>
/// The API document's curl examples for tokens, users and licences, replayed with their exact bodies, and the
/// responses compared with the documented JSON: same keys, same types, same values where they are determined.
/// </summary>
public sealed class SeedExampleTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static readonly string[] DocumentedUserKeys =
        ["id", "name", "lastname", "username", "email", "contact_number", "organisation_id", "created", "extension"];

    [Fact]
    public async Task FetchTokenAnswersTokenAndExpiryInTheDocumentedFormat()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var body = await (await client.PostAsync("/api/v1/token", null)).JsonAsync(200);

        Assert.Equal(["token", "expires"], body.Keys());
        Assert.Matches("^[0-9a-f]{32}$", body.GetProperty("token").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", body.GetProperty("expires").GetString());
    }

    [Fact]
    public async Task CreateViewUpdateAndListUsersAnswerAsDocumented()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var username = Unique.Name("unique");

        // curl -X POST -u ... /api/v1/user -d "User[username]=unique&User[role]=agent"
        var created = await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/user", $"User[username]={username}&User[role]=agent")).JsonAsync(201);
        AssertDocumentedUser(created);
        Assert.Equal(username, created.GetProperty("username").GetString());
        Assert.Equal(organisation.Id, created.GetProperty("organisation_id").GetInt64());
        foreach (var unset in new[] { "name", "lastname", "email", "contact_number", "extension" })
        {
            Assert.Equal(JsonValueKind.Null, created.GetProperty(unset).ValueKind);
        }
        var id = created.GetProperty("id").GetInt64();

        // curl -X PUT -u ... /api/v1/user/8 -d "User[name]=Jason"
        var updated = await (await client.SendRawAsync(HttpMethod.Put, $"/api/v1/user/{id}", "User[name]=Jason")).JsonAsync(200);
        AssertDocumentedUser(updated);
        Assert.Equal("Jason", updated.GetProperty("name").GetString());
        Assert.Equal(username, updated.GetProperty("username").GetString());
        Assert.Equal(created.GetProperty("created").GetString(), updated.GetProperty("created").GetString());

        // curl -X GET -u ... /api/v1/user/3
        var viewed = await (await client.GetAsync($"/api/v1/user/{id}")).JsonAsync(200);
        Assert.Equal(updated.ToString(), viewed.ToString());

        // curl -X GET -u ... /api/v1/organisation/$ORGANISATION_ID/user
        var list = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        Assert.Equal(2, list.GetArrayLength());
        foreach (var user in list.EnumerateArray()) AssertDocumentedUser(user);
        Assert.Contains(list.EnumerateArray(), u => u.GetProperty("id").GetInt64() == id && u.GetProperty("name").GetString() == "Jason");
    }

    [Fact]
    public async Task LicenceUpdateActivateAndDeactivateAnswerAsDocumented()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var (_, agentId) = await app.CreateUserAsync(organisation);

        // curl -X PUT ... /organisation/10/licenseupdate -d "serviceId[1]=25&serviceId[2]=35"
        var licences = await (await client.SendRawAsync(HttpMethod.Put, $"/api/v1/organisation/{organisation.Id}/licenseupdate",
            "serviceId[1]=25&serviceId[2]=35")).JsonAsync(200);
        Assert.Equal(["Organisation", "Services"], licences.Keys());
        Assert.Equal("Org " + organisation.Admin.Username, licences.GetProperty("Organisation").GetString());
        Assert.Equal("""{"serviceId":{"1":"25","2":"35"}}""", licences.GetProperty("Services").GetRawText());

        // curl -X PUT ... /user/2/activate -d "serviceId[]=1&serviceId[]=2"
        var activated = await (await client.SendRawAsync(HttpMethod.Put, $"/api/v1/user/{agentId}/activate", "serviceId[]=1&serviceId[]=2")).JsonAsync(200);
        Assert.Equal(["services", "User"], activated.Keys());
        Assert.Equal("""{"agent_assist":"Activated","agent_monitor":"Activated"}""", activated.GetProperty("services").GetRawText());
        Assert.Equal(["id", "name", "lastname", "email", "username"], activated.GetProperty("User").Keys());
        Assert.Equal(agentId, activated.GetProperty("User").GetProperty("id").GetInt64());

        // curl -X PUT ... /user/3/deactivate -d "serviceId[]=1&serviceId[]=2"
        var deactivated = await (await client.SendRawAsync(HttpMethod.Put, $"/api/v1/user/{agentId}/deactivate", "serviceId[]=1&serviceId[]=2")).JsonAsync(200);
        Assert.Equal("""{"agent_assist":"Deactivated","agent_monitor":"Deactivated"}""", deactivated.GetProperty("services").GetRawText());
    }

    /// <summary>The documented attributes in the documented order; role and services follow as additions.</summary>
    private static void AssertDocumentedUser(JsonElement user)
    {
        Assert.Equal([.. DocumentedUserKeys, "role", "services"], user.Keys());
        Assert.Equal(JsonValueKind.Number, user.GetProperty("id").ValueKind);
        Assert.Equal(JsonValueKind.Number, user.GetProperty("organisation_id").ValueKind);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", user.GetProperty("created").GetString());
    }
}
