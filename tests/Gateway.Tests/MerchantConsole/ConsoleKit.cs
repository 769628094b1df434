using System.Net;
using Gateway.Payments;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.MerchantConsole;

/// <summary>The gateway on a clock the tests move, so sessions time out without waiting.</summary>
public sealed class ConsoleClockApp : GatewayApp
{
    public ConsoleClockApp() => Clock = new ManualClock(DateTimeOffset.UtcNow);
}

/// <summary>The gateway delivering webhooks, from tables and an event queue of its own.</summary>
public sealed class ConsoleWebhookApp : GatewayApp
{
    public ConsoleWebhookApp()
    {
        DeliversWebhooks = true;
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "console" + run;
        Settings["Payments:EventQueue"] = "console-" + run;
        Settings["Webhooks:AllowLoopback"] = "true";
    }
}

/// <summary>A browser's side of the console over plain HTTP: its cookie jar, the gateway's origin on every post.</summary>
public sealed class ConsoleBrowser : IDisposable
{
    private readonly HttpClient _client;

    public ConsoleBrowser(GatewayApp app)
    {
        _client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false, HandleCookies = true,
        });
        Origin = app.Service<IOptions<PaymentOptions>>().Value.BaseUri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>The gateway's public origin, which a browser on its pages sends with every post.</summary>
    public string Origin { get; }

    public Task<HttpResponseMessage> GetAsync(string url) => _client.GetAsync(url);

    public Task<HttpResponseMessage> PostAsync(string url, string? origin = null, params (string, string)[] fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Item1, f.Item2))),
        };
        request.Headers.Add("Origin", origin ?? Origin);
        return _client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> SignInAsync(Credentials credentials)
    {
        var response = await PostAsync("/console/sign-in", null, ("username", credentials.Username), ("password", credentials.Password));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/console/home", response.Headers.Location?.ToString());
        return response;
    }

    /// <summary>The page's HTML, asserting its status.</summary>
    public async Task<string> PageAsync(string url, HttpStatusCode status = HttpStatusCode.OK)
    {
        var response = await GetAsync(url);
        Assert.Equal(status, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of a hidden field on a page.</summary>
    public static string Field(string html, string name) =>
        System.Text.RegularExpressions.Regex.Match(html, $"name=\"{name}\" value=\"([^\"]+)\"").Groups[1].Value;

    public void Dispose() => _client.Dispose();
}
