using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Payable codes in the console: created with the API's validation, shown with a QR, blocked, deleted.</summary>
public sealed class ConsoleCodesTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task ACodeIsCreatedWithItsQrBlockedUnblockedAndDeletedAndOnlyByItsOrganisation()
    {
        using var merchant = await app.MerchantAsync();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Organisation.Admin);
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/codes"), "csrf");
        var invalid = await browser.PostAsync("/console/codes", null, ("csrf", csrf), ("amount", "12.50"), ("merchantReference", "table-3"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("shortDescription", await invalid.Content.ReadAsStringAsync());

        var created = await browser.PostAsync("/console/codes", null, ("csrf", csrf), ("amount", "12.50"),
            ("merchantReference", "table-3"), ("shortDescription", "Lunch"));
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var code = Regex.Match(created.Headers.Location!.ToString(), "done=(\\d{10})").Groups[1].Value;
        var page = await browser.PageAsync("/console/codes");
        Assert.Contains($"<img src=\"/api/code/{code}/qr.svg\"", page);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/api/code/{code}/qr.svg")).StatusCode);
        using var api = merchant.Client;
        Assert.Equal("table-3", (await (await api.GetAsync($"/api/code/{code}")).JsonAsync(200)).Text("merchantReference"));

        using var other = await app.MerchantAsync();
        using var stranger = new ConsoleBrowser(app);
        await stranger.SignInAsync(other.Organisation.Admin);
        var theirs = await stranger.PageAsync("/console/codes");
        Assert.DoesNotContain(code, theirs);
        Assert.Equal(513, (int)(await stranger.PostAsync($"/console/codes/{code}", null, ("csrf", ConsoleBrowser.Field(theirs, "csrf")),
            ("action", "delete"))).StatusCode);

        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/codes/{code}", null, ("csrf", csrf), ("action", "block"))).StatusCode);
        Assert.Contains("blocked", await browser.PageAsync("/console/codes"));
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/codes/{code}", null, ("csrf", csrf), ("action", "unblock"))).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync($"/console/codes/{code}", null, ("csrf", csrf), ("action", "delete"))).StatusCode);
        Assert.DoesNotContain($"<td>{code}</td>", await browser.PageAsync("/console/codes"));
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/console/codes/{code}", null, ("csrf", csrf), ("action", "paint"))).StatusCode);
    }
}
