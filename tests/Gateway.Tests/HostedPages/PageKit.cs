using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gateway.Tests.HostedPages;

/// <summary>Payment keys made as a merchant makes them, and a payer's browser reduced to HTTP: pages, their forms, redirects.</summary>
public static partial class PageKit
{
    public const string Shop = "https://shop.test";
    public const string SuccessUrl = Shop + "/success";
    public const string ErrorUrl = Shop + "/error";
    public const string CancelUrl = Shop + "/cancel";

    /// <summary>POST /api/v1/payment-key with the merchant's URLs on shop.test; returns the key.</summary>
    public static async Task<string> CreateKeyAsync(this HttpClient merchant, string amount = "25.50", string reference = "order-1",
        params (string, string)[] extra)
    {
        var response = await merchant.PostFormAsync("/api/v1/payment-key",
        [
            ("amount", amount), ("merchant_reference", reference),
            ("success_url", SuccessUrl), ("error_url", ErrorUrl), ("cancel_url", CancelUrl), .. extra,
        ]);
        return (await response.JsonAsync(200)).GetProperty("key").GetString()!;
    }

    /// <summary>A client that shows redirects instead of following them, as the tests check where they go.</summary>
    public static HttpClient Payer(this GatewayApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public static async Task<string> HtmlAsync(this HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus,
            $"Expected {expectedStatus} but got {(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {text}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<!doctype html>", text);
        return text;
    }

    /// <summary>The value of a hidden field on the page (decoded as a browser would).</summary>
    public static string Field(string html, string name)
    {
        var match = Regex.Match(html, $"<input type=\"hidden\" name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\">");
        Assert.True(match.Success, $"The page has no hidden field '{name}':\n{html}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Submits the page's form as a browser would: its hidden fields plus the given ones, to its action.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(this HttpClient payer, string html, params (string Key, string Value)[] fields)
    {
        var action = WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value);
        Assert.False(string.IsNullOrEmpty(action), $"The page has no form:\n{html}");
        var hidden = HiddenField().Matches(html).Select(m => (WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)));
        var all = hidden.Where(h => fields.All(f => f.Key != h.Item1)).Concat(fields).ToArray();
        return await payer.PostFormAsync(action, all);
    }

    /// <summary>Asserts a 303 to the URL that starts with <paramref name="prefix"/>, and returns its query.</summary>
    public static Dictionary<string, string> RedirectsTo(this HttpResponseMessage response, string prefix)
    {
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(prefix + "?", location);
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(location).Query)
            .ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>The transaction a payment key led to, as the merchant looks it up.</summary>
    public static async Task<JsonElement> TransactionForKeyAsync(this HttpClient merchant, string key) =>
        await (await merchant.GetAsync($"/api/v1/gateway-transaction/?key={key}")).JsonAsync(200);

    public static async Task<HttpStatusCode> TransactionStatusCodeForKeyAsync(this HttpClient merchant, string key) =>
        (await merchant.GetAsync($"/api/v1/gateway-transaction/?key={key}")).StatusCode;

    public static string Csp(this HttpResponseMessage response) => string.Join(";", response.Headers.GetValues("Content-Security-Policy"));

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();
}
