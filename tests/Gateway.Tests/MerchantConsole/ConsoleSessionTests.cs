using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.MerchantConsole;

/// <summary>
/// Signing in and staying signed in: the cookie's flags, the pages' headers, idle and absolute timeouts, sign-out,
/// a password change, and forms that did not come from the console.
/// </summary>
public sealed class ConsoleSessionTests(ConsoleClockApp app) : IClassFixture<ConsoleClockApp>
{
    [Fact]
    public async Task AWrongPasswordIsRefusedAndTheRightOneGivesAStrictHttpOnlyCookieAndSafePages()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        var wrong = await browser.PostAsync("/console/sign-in", null, ("username", organisation.Admin.Username), ("password", "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Invalid username or password.", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync("/console/home")).StatusCode);

        var signedIn = await browser.SignInAsync(organisation.Admin);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/console", cookie, StringComparison.OrdinalIgnoreCase);
        // The tests' gateway is plain http, as a local run is; an https base URL makes the cookie Secure.
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);

        var home = await browser.GetAsync("/console/home");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var csp = home.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("script-src", csp);
        Assert.Equal("no-store", home.Headers.CacheControl?.ToString());
        var html = await home.Content.ReadAsStringAsync();
        Assert.Contains(organisation.Admin.Username, html);
        Assert.DoesNotContain(organisation.Admin.Password, html);
    }

    [Fact]
    public async Task ASessionEndsAfterThirtyIdleMinutesAndAfterTwelveHoursHoweverBusy()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var idle = new ConsoleBrowser(app);
        await idle.SignInAsync(organisation.Admin);
        app.Clock!.Advance(TimeSpan.FromMinutes(29));
        await idle.PageAsync("/console/home");
        app.Clock.Advance(TimeSpan.FromMinutes(29)); // 29 minutes after the last use: still on
        await idle.PageAsync("/console/home");
        app.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal("/console/sign-in", (await idle.GetAsync("/console/home")).Headers.Location?.ToString());

        using var busy = new ConsoleBrowser(app);
        await busy.SignInAsync(organisation.Admin);
        for (var minutes = 0; minutes < 12 * 60 - 20; minutes += 20)
        {
            app.Clock.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/console/home")).StatusCode);
        }
        app.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(HttpStatusCode.SeeOther, (await busy.GetAsync("/console/home")).StatusCode);
    }

    [Fact]
    public async Task SigningOutEndsTheSessionAtOnceAndAForeignOrTokenlessPostIsRefused()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(organisation.Admin);
        var html = await browser.PageAsync("/console/home");
        var csrf = ConsoleBrowser.Field(html, "csrf");
        Assert.False(string.IsNullOrEmpty(csrf));

        var forged = await browser.PostAsync("/console/sign-out", "http://evil.example", ("csrf", csrf));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        var tokenless = await browser.PostAsync("/console/sign-out", null);
        Assert.Equal(HttpStatusCode.Forbidden, tokenless.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/console/home")).StatusCode);

        var signedOut = await browser.PostAsync("/console/sign-out", null, ("csrf", csrf));
        Assert.Equal(HttpStatusCode.SeeOther, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync("/console/home")).StatusCode);
    }

    [Fact]
    public async Task AChangedPasswordEndsTheUsersSessions()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(agent);
        using var admin = app.ClientFor(organisation.Admin);
        await (await admin.PutFormAsync($"/api/v1/user/{agentId}", ("User[password]", Unique.Password()))).JsonAsync(200);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync("/console/home")).StatusCode);
    }
}
