using System.Net;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Tests.Codes;

/// <summary>The payer's pages for a code over HTTP: <c>/c</c> to type it, <c>/c/{code}</c>, then the hosted card or EFT page.</summary>
public sealed class CodePageTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private static (string Path, Dictionary<string, string> Query) Location(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        var parts = location.Split('?', 2);
        return (parts[0], parts.Length < 2 ? [] : QueryHelpers.ParseQuery(parts[1]).ToDictionary(p => p.Key, p => p.Value.ToString()));
    }

    [Fact]
    public async Task APayerTypesACodeSeesItAndPaysByCardOnTheHostedPage()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 10, merchantReference = "table-7", shortDescription = "Dinner for two", requestPartialPayment = true,
            requestTip = true, subMerchantName = "The Bistro",
        })).Text("code");
        using var payer = app.Payer();

        var entry = await (await payer.GetAsync("/c")).HtmlAsync(200);
        Assert.Contains("<input type=\"text\" id=\"code\" name=\"code\"", entry);
        var (typed, _) = Location(await payer.GetAsync($"/c?code={code[..3]}+{code[3..6]}+{code[6..]}"));
        Assert.Equal($"/c/{code}", typed);
        Assert.Contains("10 digits", await (await payer.GetAsync("/c?code=123")).HtmlAsync(400));

        var page = await (await payer.GetAsync($"/c/{code}")).HtmlAsync(200);
        Assert.Contains("<h1>Dinner for two</h1>", page);
        Assert.Contains($"<dd class=\"merchant\">Org {merchant.Organisation.Admin.Username}</dd>", page);
        Assert.Contains("<dd class=\"amount\">R10.00</dd>", page);
        Assert.Contains("frame-ancestors 'none'", (await payer.GetAsync($"/c/{code}")).Csp());

        Assert.Contains("at most R10.00", await (await payer.SubmitAsync(page, ("amount", "12.00"), ("method", "card"))).HtmlAsync(400));
        var (path, query) = Location(await payer.SubmitAsync(page, ("amount", "8.00"), ("tip", "1.20"), ("method", "card")));
        Assert.Equal(("/card", "920"), (path, query["expect"]));
        var card = await (await payer.GetAsync($"/card?payment_key={query["payment_key"]}&expect=920")).HtmlAsync(200);
        Assert.Contains("R9.20", card);
        var paid = await payer.SubmitAsync(card, ("holder", "A"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry),
            ("cvv", "123"), ("action", "continue"));
        Assert.Equal("complete", paid.RedirectsTo("http://localhost:7071/receipt")["status"]);

        var t = await merchant.Client.TransactionForKeyAsync(query["payment_key"]);
        Assert.Equal(("complete", "9.20", "table-7"), (t.Text("status"), t.Text("amount"), t.Text("merchant_reference")));
        Assert.Equal((code, "The Bistro"), (t.GetProperty("gateway_response_parameters").Text("code"),
            t.GetProperty("gateway_response_parameters").Text("sub_merchant_name")));
        // Used up: the page still shows, but paying again is refused.
        var again = await (await payer.GetAsync($"/c/{code}")).HtmlAsync(200);
        Assert.Contains("already been made", await (await payer.SubmitAsync(again, ("amount", "1.00"), ("method", "eft"))).HtmlAsync(409));
    }

    [Fact]
    public async Task APayerWhoseAmountAnotherPayerChangedIsStoppedNotChargedTheirs()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 0, merchantReference = "v", shortDescription = "Pay what you like" }))
            .Text("code");
        using var first = app.Payer();
        using var second = app.Payer();
        var page = await (await first.GetAsync($"/c/{code}")).HtmlAsync(200);
        Assert.Contains("<dd class=\"amount\">You choose</dd>", page);

        var (_, mine) = Location(await first.SubmitAsync(page, ("amount", "7.00"), ("method", "card")));
        Location(await second.SubmitAsync(await (await second.GetAsync($"/c/{code}")).HtmlAsync(200), ("amount", "5.00"), ("method", "eft")));

        Assert.Contains("has changed", await (await first.GetAsync($"/card?payment_key={mine["payment_key"]}&expect=700")).HtmlAsync(409));
        var eft = await (await second.GetAsync($"/eft?payment_key={mine["payment_key"]}&expect=500")).HtmlAsync(200);
        Assert.Contains("R5.00", eft);
    }

    [Fact]
    public async Task UnknownBlockedAndCrossSiteRequestsGetPagesNotPayments()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new { amount = 3, merchantReference = "b", shortDescription = "Basket of Goods" }))
            .Text("code");
        using var payer = app.Payer();
        var page = await (await payer.GetAsync($"/c/{code}")).HtmlAsync(200);

        Assert.Contains("Code not found", await (await payer.GetAsync("/c/0000000002")).HtmlAsync(404));
        Assert.Contains("Code not found", await (await payer.GetAsync("/c/%3Cscript%3E")).HtmlAsync(404));
        await (await merchant.Client.PutAsync($"/api/code/{code}/block", null)).JsonAsync(200);
        Assert.Contains("blocked", await (await payer.GetAsync($"/c/{code}")).HtmlAsync(409));
        await (await merchant.Client.PutAsync($"/api/code/{code}/unblock", null)).JsonAsync(200);

        var crossSite = new HttpRequestMessage(HttpMethod.Post, $"/c/{code}")
        {
            Content = new FormUrlEncodedContent([new("method", "card")]),
        };
        crossSite.Headers.Add("Origin", "https://evil.test");
        await (await payer.SendAsync(crossSite)).HtmlAsync(403);
        Assert.Equal("/card", Location(await payer.SubmitAsync(page, ("method", "card"))).Path);
    }
}
