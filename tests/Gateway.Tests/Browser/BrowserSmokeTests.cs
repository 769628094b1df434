using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>The chain the hosted payment pages will need: Chromium reaching the real gateway, and pages talking across origins.</summary>
public sealed class BrowserSmokeTests(BrowserGateway app) : IClassFixture<BrowserGateway>
{
    [Fact]
    public async Task The_browser_loads_the_gateway_over_its_real_port()
    {
        var page = await app.NewPageAsync();

        var response = await page.GotoAsync("/api/health");

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal($"{app.BaseUrl}/api/health", page.Url);
        await Expect(page.Locator("body")).ToContainTextAsync("\"status\":\"healthy\"");

        // The fixture's HTTP clients and configuration point at the same listener the browser used.
        using var client = app.CreateClient();
        Assert.Equal(new Uri(app.BaseUrl + "/"), client.BaseAddress);
        Assert.Equal(200, (int)(await client.GetAsync("/api/health")).StatusCode);
        Assert.Equal(app.BaseUrl, app.Service<IConfiguration>()["Payments:PublicBaseUrl"]);
    }

    [Fact]
    public async Task A_cross_origin_iframe_posts_a_message_its_parent_shows()
    {
        var page = await app.NewPageAsync();
        // Both origins are served by the browser itself, so no server or DNS is involved.
        await page.RouteAsync("http://merchant.test/**", route => route.FulfillAsync(Html("""
            <!doctype html>
            <title>Merchant checkout</title>
            <script>
              window.addEventListener("message", event => {
                document.getElementById("message").textContent = event.data;
                document.getElementById("origin").textContent = event.origin;
              });
            </script>
            <p id="message"></p>
            <p id="origin"></p>
            <iframe src="http://widget.test/pay"></iframe>
            """)));
        // The message is computed in the iframe, so seeing it proves the widget's script ran in its own origin.
        await page.RouteAsync("http://widget.test/**", route => route.FulfillAsync(Html("""
            <!doctype html>
            <script>parent.postMessage("paid from " + location.host, "http://merchant.test");</script>
            """)));

        await page.GotoAsync("http://merchant.test/checkout");

        await Expect(page.Locator("#message")).ToHaveTextAsync("paid from widget.test");
        await Expect(page.Locator("#origin")).ToHaveTextAsync("http://widget.test");
    }

    private static RouteFulfillOptions Html(string body) => new() { Status = 200, ContentType = "text/html; charset=utf-8", Body = body };
}
