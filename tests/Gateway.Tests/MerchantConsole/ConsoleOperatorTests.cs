using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>Platform operators in the console: they choose an organisation to look at, and can switch between them.</summary>
public sealed class ConsoleOperatorTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task AnOperatorChoosesAnOrganisationSeesItAsAWholeSwitchesAndCannotRefund()
    {
        using var first = await app.MerchantAsync();
        var firstPayment = (await first.Client.PayAsync(reference: "operator-first")).Transaction().Id();
        using var second = await app.MerchantAsync();
        await second.Client.PayAsync(reference: "operator-second");
        using var browser = new ConsoleBrowser(app);
        var signedIn = await browser.PostAsync("/console/sign-in", null, ("username", (await app.OperatorAsync()).Username),
            ("password", (await app.OperatorAsync()).Password));
        Assert.Equal("/console/organisations", signedIn.Headers.Location?.ToString());
        Assert.Equal("/console/organisations", (await browser.GetAsync("/console/home")).Headers.Location?.ToString());

        var chooser = await browser.PageAsync("/console/organisations");
        var csrf = ConsoleBrowser.Field(chooser, "csrf");
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostAsync("/console/organisations", null, ("csrf", csrf),
            ("organisation_id", "999999999"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync("/console/organisations", null, ("csrf", "forged"),
            ("organisation_id", first.Id.ToString()))).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync("/console/organisations", null, ("csrf", csrf),
            ("organisation_id", first.Id.ToString()))).StatusCode);

        var list = await browser.PageAsync("/console/transactions");
        Assert.Contains("operator-first", list);
        Assert.DoesNotContain("operator-second", list);
        Assert.Contains("Switch organisation", list);
        await browser.PageAsync("/console/webhooks");
        await browser.PageAsync("/console/codes", HttpStatusCode.Forbidden);
        var detail = await browser.PageAsync($"/console/transactions/{firstPayment}");
        Assert.DoesNotContain("/refund\"", detail);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync($"/console/transactions/{firstPayment}/refund", null,
            ("csrf", csrf), ("confirm", "yes"), ("form_key", "AAAAAAAAAAAAAAAAAAAAAA"))).StatusCode);
        Assert.Equal("0.00", (await first.Client.ViewAsync(firstPayment)).Text("refunded_amount"));

        Assert.Equal(HttpStatusCode.SeeOther, (await browser.PostAsync("/console/organisations", null, ("csrf", csrf),
            ("organisation_id", second.Id.ToString()))).StatusCode);
        var switched = await browser.PageAsync("/console/transactions");
        Assert.Contains("operator-second", switched);
        Assert.DoesNotContain("operator-first", switched);
    }

    [Fact]
    public async Task OnlyOperatorsChooseAndAnOperatorSignsOutBeforeChoosing()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = new ConsoleBrowser(app);
        await admin.SignInAsync(organisation.Admin);
        Assert.Equal("/console/home", (await admin.GetAsync("/console/organisations")).Headers.Location?.ToString());
        Assert.Equal("/console/home", (await admin.PostAsync("/console/organisations", null,
            ("organisation_id", "1"))).Headers.Location?.ToString());

        using var browser = new ConsoleBrowser(app);
        var credentials = await app.OperatorAsync();
        await browser.PostAsync("/console/sign-in", null, ("username", credentials.Username), ("password", credentials.Password));
        var csrf = ConsoleBrowser.Field(await browser.PageAsync("/console/organisations"), "csrf");
        Assert.Equal("/console/sign-in", (await browser.PostAsync("/console/sign-out", null, ("csrf", csrf))).Headers.Location?.ToString());
        Assert.Equal("/console/sign-in", (await browser.GetAsync("/console/organisations")).Headers.Location?.ToString());
    }
}
