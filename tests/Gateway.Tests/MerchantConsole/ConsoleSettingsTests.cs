using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>The administrators' pages: webhooks, credentials and settings, and agents refused them.</summary>
public sealed class ConsoleSettingsTests(ConsoleWebhookApp app) : IClassFixture<ConsoleWebhookApp>
{
    [Theory]
    [InlineData("/console/webhooks")]
    [InlineData("/console/credentials")]
    [InlineData("/console/settings")]
    [InlineData("/console/users")]
    [InlineData("/console/payouts")]
    [InlineData("/console/collections")]
    [InlineData("/console/schedules")]
    public async Task AnAgentIsRefusedTheAdministratorsPagesAndForms(string path)
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, _) = await app.CreateUserAsync(organisation);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(agent);
        var home = await browser.PageAsync("/console/home");
        Assert.DoesNotContain(path, home);
        Assert.Contains("This page is for administrators of the organisation.", await browser.PageAsync(path, HttpStatusCode.Forbidden));
        var form = path switch
        {
            "/console/credentials" => "/console/credentials/api-keys",
            "/console/payouts" => "/console/payouts/abc",
            "/console/schedules" => "/console/schedules/1/cancel",
            // Collections has no form: any administrators' form stands in.
            "/console/collections" => "/console/settings",
            _ => path,
        };
        var posted = await browser.PostAsync(form, null, ("csrf", ConsoleBrowser.Field(home, "csrf")),
            ("Organisation[timezone]", "Europe/London"), ("Organisation[webhook_success_url]", "https://example.com/x"));
        Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
        using var admin = app.ClientFor(organisation.Admin);
        var unchanged = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(("Africa/Johannesburg", ""), (unchanged.Text("timezone"), unchanged.Text("webhook_success_url")));
        Assert.Equal(0, (await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(200))
            .GetArrayLength());
    }

    [Fact]
    public async Task AnAdministratorSetsWebhookUrlsThroughTheSameGuardAsTheApiAndRotatesTheSecret()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(organisation.Admin);
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/webhooks"), "csrf");
        var saved = await browser.PostAsync("/console/webhooks", null, ("csrf", csrf),
            ("Organisation[webhook_success_url]", "http://127.0.0.1:9/paid"));
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);
        var refused = await browser.PostAsync("/console/webhooks", null, ("csrf", csrf),
            ("Organisation[webhook_error_url]", "http://169.254.169.254/latest/meta-data"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Organisation[webhook_error_url]", await refused.Content.ReadAsStringAsync());

        using var admin = app.ClientFor(organisation.Admin);
        var before = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(("http://127.0.0.1:9/paid", ""), (before.Text("webhook_success_url"), before.Text("webhook_error_url")));
        Assert.Contains(before.Text("webhook_secret"), await browser.PageAsync("/console/webhooks"));
        Assert.Contains(before.Text("webhook_secret"), await browser.PageAsync("/console/credentials"));
        Assert.Contains(before.Text("signature_password"), await browser.PageAsync("/console/credentials"));
        await browser.PostAsync("/console/webhooks", null, ("csrf", csrf), ("Organisation[webhook_secret_rotate]", "1"));
        var after = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.NotEqual(before.Text("webhook_secret"), after.Text("webhook_secret"));
        Assert.Equal(before.Text("webhook_secret"), after.Text("webhook_previous_secret"));
    }

    [Fact]
    public async Task AnApiKeyIsShownOnceWorksAndStopsWorkingWhenRevoked()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(organisation.Admin);
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/credentials"), "csrf");
        var created = await browser.PostAsync("/console/credentials/api-keys", null, ("csrf", csrf), ("name", "Shop"), ("mode", "test"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var key = Regex.Match(await created.Content.ReadAsStringAsync(), "<code id=\"new-key\">([^<]+)</code>").Groups[1].Value;
        Assert.StartsWith("sk_test_", key);
        using var api = app.ClientWithApiKey(key);
        await (await api.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);

        var listed = await browser.PageAsync("/console/credentials");
        Assert.DoesNotContain(key, listed);
        var keyId = Regex.Match(listed, "/console/credentials/api-keys/([^/]+)/revoke").Groups[1].Value;
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/credentials/api-keys/{keyId}/revoke", null,
            ("csrf", csrf))).StatusCode);
        await (await api.GetAsync($"/api/v1/organisation/{organisation.Id}")).ErrorAsync(401);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostAsync("/console/credentials/api-keys/nope/revoke", null,
            ("csrf", csrf))).StatusCode);
    }

    [Fact]
    public async Task SettingsChangeTheTimeZoneAndThreeDSecureAndMoveTheTestClock()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(organisation.Admin);
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/settings"), "csrf");
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync("/console/settings", null, ("csrf", csrf),
            ("Organisation[timezone]", "Europe/London"), ("Organisation[three_d_secure]", "always"),
            ("Organisation[receipt_email_subject]", "Your {merchantName} receipt"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/console/settings", null, ("csrf", csrf),
            ("Organisation[timezone]", "Mars/Olympus"))).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync("/console/settings", null, ("csrf", csrf),
            ("action", "clock"), ("clock[now]", "2027-01-31 09:00:00"))).StatusCode);

        using var admin = app.ClientFor(organisation.Admin);
        var viewed = await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(("Europe/London", "always", "2027-01-31 09:00:00"),
            (viewed.Text("timezone"), viewed.Text("three_d_secure"), viewed.Text("test_clock")));
        Assert.Contains("2027-01-31 09:00:00 (stopped)", await browser.PageAsync("/console/settings"));
        Assert.Equal("Your {merchantName} receipt", viewed.Text("receipt_email_subject"));
    }
}
