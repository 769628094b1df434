using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Users and licences in the console: a new user, and services switched on only while a licence is free.</summary>
public sealed class ConsoleUsersTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task AnAdministratorCreatesAUserAndSwitchesAServiceOnOnlyWithAFreeLicence()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(organisation.Admin);
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/users"), "csrf");
        var username = Unique.Name("clerk");
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync("/console/users", null, ("csrf", csrf),
            ("User[username]", username), ("User[password]", Unique.Password()), ("User[role]", "agent"))).StatusCode);
        var taken = await browser.PostAsync("/console/users", null, ("csrf", csrf),
            ("User[username]", username), ("User[password]", Unique.Password()), ("User[role]", "agent"));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        var page = await browser.PageAsync("/console/users");
        Assert.Contains(username, page);
        var userId = Regex.Match(page, $"/console/users/(\\d+)\">{username}<").Groups[1].Value;
        Assert.NotEmpty(userId);

        var refused = await browser.PostAsync($"/console/users/{userId}/services", null, ("csrf", csrf), ("service", "1"), ("on", "1"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        using var admin = app.ClientFor(organisation.Admin);
        await (await admin.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "1"))).JsonAsync(200);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/users/{userId}/services", null, ("csrf", csrf),
            ("service", "1"), ("on", "1"))).StatusCode);
        var user = await (await admin.GetAsync($"/api/v1/user/{userId}")).JsonAsync(200);
        Assert.Equal([1], user.GetProperty("services").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/console/users/{userId}/services", null, ("csrf", csrf),
            ("service", "99"), ("on", "1"))).StatusCode);

        // Edited: names and e-mail changed, the password kept when its box is left empty, then changed.
        var edit = await browser.PageAsync($"/console/users/{userId}");
        Assert.Contains("New password (leave empty to keep it)", edit);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/users/{userId}", null, ("csrf", csrf),
            ("User[name]", "Clerk"), ("User[email]", "clerk@example.com"), ("User[role]", "agent"), ("User[password]", ""))).StatusCode);
        var edited = await (await admin.GetAsync($"/api/v1/user/{userId}")).JsonAsync(200);
        Assert.Equal(("Clerk", "clerk@example.com"), (edited.Text("name"), edited.Text("email")));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/console/users/{userId}", null, ("csrf", csrf),
            ("User[email]", "not-an-email"))).StatusCode);

        using var other = await app.MerchantAsync();
        using var stranger = new ConsoleBrowser(app);
        await stranger.SignInAsync(other.Organisation.Admin);
        var strangerCsrf = ConsoleBrowser.Field(await stranger.PageAsync("/console/users"), "csrf");
        Assert.DoesNotContain(username, await stranger.PageAsync("/console/users"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/console/users/{userId}/services", null,
            ("csrf", strangerCsrf), ("service", "1"), ("on", "0"))).StatusCode);
        await stranger.PageAsync($"/console/users/{userId}", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/console/users/{userId}", null, ("csrf", strangerCsrf),
            ("User[name]", "Mallory"))).StatusCode);
    }
}
