using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.MerchantConsole;

/// <summary>
/// The console's transactions over HTTP: tenants and agents see only theirs, agents cannot refund, a refund needs the
/// console's own form (token and origin), and a re-posted refund form refunds once.
/// </summary>
public sealed class ConsoleTransactionTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task AnotherOrganisationsTransactionIsNotFoundAndAnAgentSeesOnlyTheirOwn()
    {
        using var owner = await app.MerchantAsync();
        var paid = (await owner.Client.PayAsync(reference: "console-own")).Transaction().Id();
        var (agent, agentId) = await app.CreateUserAsync(owner.Organisation);
        await app.ActivateAsync(owner.Organisation, agentId, Gateway.Identity.Services.Direct);
        using var agentApi = app.ClientFor(agent);
        var agents = (await agentApi.PayAsync(reference: "console-agent")).Transaction().Id();

        using var other = await app.MerchantAsync();
        using var stranger = new ConsoleBrowser(app);
        await stranger.SignInAsync(other.Organisation.Admin);
        await stranger.PageAsync($"/console/transactions/{paid}", HttpStatusCode.NotFound);
        Assert.Contains("No transactions match.", await stranger.PageAsync("/console/transactions?q=console-own"));
        foreach (var id in new[] { "x'%20or%20'1'%3D'1", "-1", "1e3", "%E2%80%AE1" })
        {
            await stranger.PageAsync($"/console/transactions/{id}", HttpStatusCode.NotFound);
        }
        var strangerCsrf = ConsoleBrowser.Field(await stranger.PageAsync("/console/home"), "csrf");
        foreach (var action in new[] { "refund", "resend" })
        {
            var answer = await stranger.PostAsync($"/console/transactions/{paid}/{action}", null, ("csrf", strangerCsrf),
                ("confirm", "yes"), ("amount", "1.00"), ("form_key", "BBBBBBBBBBBBBBBBBBBBBB"));
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        }
        Assert.Equal("0.00", (await owner.Client.ViewAsync(paid)).Text("refunded_amount"));

        using var agentConsole = new ConsoleBrowser(app);
        await agentConsole.SignInAsync(agent);
        var own = await agentConsole.PageAsync($"/console/transactions/{agents}");
        Assert.DoesNotContain("/refund\"", own);
        Assert.DoesNotContain("Webhook attempts", own);
        await agentConsole.PageAsync($"/console/transactions/{paid}", HttpStatusCode.NotFound);
        var list = await agentConsole.PageAsync("/console/transactions");
        Assert.Contains("console-agent", list);
        Assert.DoesNotContain("console-own", list);
        var csv = await agentConsole.GetAsync("/console/export");
        Assert.Equal("text/csv; charset=utf-8", csv.Content.Headers.ContentType?.ToString());
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("console-agent", lines[1]);
        var csrf = ConsoleBrowser.Field(own, "csrf");
        var refused = await agentConsole.PostAsync($"/console/transactions/{agents}/refund", null, ("csrf", csrf),
            ("confirm", "yes"), ("form_key", "AAAAAAAAAAAAAAAAAAAAAA"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("0.00", (await owner.Client.ViewAsync(agents)).Text("refunded_amount"));
    }

    [Fact]
    public async Task ARefundNeedsTheConsolesFormAndARepostedFormRefundsOnce()
    {
        using var merchant = await app.MerchantAsync();
        var id = (await merchant.Client.PayAsync(amount: "20.00", reference: "console-refund")).Transaction().Id();
        using var browser = new ConsoleBrowser(app);
        await browser.SignInAsync(merchant.Organisation.Admin);
        var page = await browser.PageAsync($"/console/transactions/{id}");
        var (csrf, key) = (ConsoleBrowser.Field(page, "csrf"), ConsoleBrowser.Field(page, "form_key"));
        (string, string)[] form = [("csrf", csrf), ("form_key", key), ("amount", "5.00"), ("confirm", "yes")];

        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync($"/console/transactions/{id}/refund", "http://evil.example", form)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync($"/console/transactions/{id}/refund", null,
            [.. form.Where(f => f.Item1 != "csrf"), ("csrf", "forged")])).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/console/transactions/{id}/refund", null,
            [.. form.Where(f => f.Item1 != "confirm")])).StatusCode);
        Assert.Equal("0.00", (await merchant.Client.ViewAsync(id)).Text("refunded_amount"));

        var posts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => browser.PostAsync($"/console/transactions/{id}/refund", null, form)));
        Assert.Contains(posts, p => p.StatusCode == HttpStatusCode.SeeOther);
        Assert.Equal("5.00", (await merchant.Client.ViewAsync(id)).Text("refunded_amount"));
        var after = await browser.PageAsync($"/console/transactions/{id}?done=refund");
        Assert.Contains("The refund is booked.", after);
        Assert.Single(Regex.Matches(after, "<td class=\"num\">R5.00</td>"));
    }
}
