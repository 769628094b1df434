using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Identity;

/// <summary>
/// Storage's answer to a write can be lost after the write landed (a timeout, a dropped connection); the SDK then
/// retries and meets its own write as a 409 or 412. Here the SDK pipeline lets chosen writes through to Azurite and
/// then drops the connection, so every create must still come out whole.
/// </summary>
public sealed class LostAnswerApp : GatewayApp
{
    public StorageFaultPolicy Losses { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => Losses.AddTo(services);
}

public sealed class LostAnswerTests(LostAnswerApp app) : IClassFixture<LostAnswerApp>
{
    [Fact]
    public async Task AUserCreateWhoseCommitAnswerIsLostStillCreatesOneWorkingUser()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var username = Unique.Name("lost");

        app.Losses.LoseNext("POST", "$batch");
        var created = await (await client.PostFormAsync("/api/v1/user",
            ("User[username]", username), ("User[password]", "a good password"), ("User[role]", "administrator"))).JsonAsync(201);

        Assert.Equal(0, app.Losses.Remaining);
        var users = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Single(users.EnumerateArray(), u => u.GetProperty("username").GetString() == username);
        using var newUser = app.ClientFor(new Credentials(username, "a good password"));
        await (await newUser.GetAsync($"/api/v1/user/{created.GetProperty("id").GetInt64()}")).JsonAsync(200);
        // The administrator count went up exactly once: demoting the original administrator is now allowed, once.
        await (await client.PutFormAsync($"/api/v1/user/{organisation.AdminId}", ("User[role]", "agent"))).JsonAsync(200);
        Assert.Contains("last administrator", await (await newUser.PutFormAsync($"/api/v1/user/{created.GetProperty("id").GetInt64()}",
            ("User[role]", "agent"))).ErrorAsync(409));
    }

    [Fact]
    public async Task AnOrganisationCreateWhoseCommitAnswerIsLostLeavesAWorkingAdministrator()
    {
        app.Losses.LoseNext("POST", "$batch");
        var organisation = await app.CreateOrganisationAsync();

        Assert.Equal(0, app.Losses.Remaining);
        using var admin = app.ClientFor(organisation.Admin);
        var view = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(organisation.Id, view.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task ARenameWhoseCommitAnswerIsLostKeepsTheNewLoginAndFreesTheOld()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var admin = app.ClientFor(organisation.Admin);
        var renamed = Unique.Name("renamed");

        app.Losses.LoseNext("POST", "$batch");
        await (await admin.PutFormAsync($"/api/v1/user/{agentId}", ("User[username]", renamed))).JsonAsync(200);

        Assert.Equal(0, app.Losses.Remaining);
        using var newLogin = app.ClientFor(agent with { Username = renamed });
        await (await newLogin.GetAsync($"/api/v1/user/{agentId}")).JsonAsync(200);
        using var oldLogin = app.ClientFor(agent);
        await (await oldLogin.GetAsync($"/api/v1/user/{agentId}")).ErrorAsync(401);
    }

    [Fact]
    public async Task TokenAndKeyIssuesWhoseAnswerIsLostStillWork()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);

        app.Losses.LoseNext("POST", "/Tokens");
        var token = (await (await admin.PostAsync("/api/v1/token", null)).JsonAsync(200)).GetProperty("token").GetString();
        using var bearer = app.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await (await bearer.GetAsync($"/api/v1/user/{organisation.AdminId}")).JsonAsync(200);

        app.Losses.LoseNext("POST", "/ApiKeys");
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).GetProperty("key").GetString()!;
        Assert.Equal(0, app.Losses.Remaining);
        using var withKey = app.ClientWithApiKey(key);
        await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
    }

    [Fact]
    public async Task AnActivationWhoseCommitAnswerIsLostCountsOneLicence()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (_, agentId) = await app.CreateUserAsync(organisation);
        using var admin = app.ClientFor(organisation.Admin);
        await (await admin.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "2"))).JsonAsync(200);

        app.Losses.LoseNext("POST", "$batch");
        await (await admin.PutFormAsync($"/api/v1/user/{agentId}/activate", ("serviceId[]", "1"))).JsonAsync(200);

        var view = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(1, view.GetProperty("licenses").EnumerateArray().Single().GetProperty("in_use").GetInt32());
    }
}
