using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Cashier;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cashier;

/// <summary>
/// The gateway with the cashier's webhooks delivered: tables and an event queue of its own (the payout runner works
/// over whole tables), loopback allowed, a fast retry schedule, and a 1 % conversion margin.
/// </summary>
public sealed class CashierGatewayApp : GatewayApp
{
    public CashierGatewayApp()
    {
        DeliversWebhooks = true;
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "cash" + run;
        Settings["Payments:EventQueue"] = "cash-" + run;
        Settings["Webhooks:AllowLoopback"] = "true";
        Settings["Webhooks:RetrySchedule"] = "1s,1s";
        Settings["Cashier:FxMargin"] = "0.01";
    }
}

/// <summary>
/// The gateway on a clock the tests move (so abandoned pages expire without waiting), with tables of its own.
/// </summary>
public sealed class CashierClockApp : GatewayApp
{
    public static readonly DateTimeOffset Start = new(2027, 3, 10, 9, 0, 0, TimeSpan.Zero);

    public CashierClockApp()
    {
        Clock = new Gateway.Testing.ManualClock(Start);
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "cashclock" + run;
        Settings["Payments:EventQueue"] = "cashclock-" + run;
    }
}

/// <summary>A merchant as the cashier document sees it: an organisation and its API key (<c>x-api-key</c>).</summary>
public sealed record CashierMerchant(Merchant Merchant, HttpClient Api) : IDisposable
{
    public long Id => Merchant.Id;

    public void Dispose()
    {
        Merchant.Dispose();
        Api.Dispose();
    }
}

public static class CashierKit
{
    public const string Approved = PaymentKit.Approved;
    public const string Declined = "4000000000009995";
    public const string PayoutRefused = "4000000051";

    /// <summary>An expiry year in the future of both the real clock and <see cref="CashierClockApp.Start"/>.</summary>
    public static readonly string ExpYear = (Math.Max(DateTime.UtcNow.Year, CashierClockApp.Start.Year) + 3)
        .ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs the cashier's timer function once, as the host would.</summary>
    public static async Task RunCashierAsync(this GatewayApp app)
    {
        using var scope = app.Services.CreateScope();
        await ActivatorUtilities.CreateInstance<CashierRunner>(scope.ServiceProvider)
            .Run(new TimerInfo(), CancellationToken.None);
    }

    /// <summary>A merchant and a client that calls with one of its API keys (test, unless asked).</summary>
    public static async Task<CashierMerchant> CashierMerchantAsync(this GatewayApp app, string mode = "test",
        string keyMode = "test")
    {
        var merchant = await app.MerchantAsync(mode);
        var key = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key",
            ("ApiKey[mode]", keyMode))).JsonAsync(201)).GetProperty("key").GetString()!;
        var api = app.ClientWithApiKey(key);
        return new CashierMerchant(merchant, api);
    }

    /// <summary>
    /// The document's example request (with a fresh tracking id unless given), changed by <paramref name="change"/>.
    /// </summary>
    public static JsonObject Body(string? trackingId = null, Action<JsonObject>? change = null,
        string currency = "ZAR", string amount = "10.05")
    {
        var request = JsonNode.Parse($$"""
            {
              "mode": "test",
              "theme": "dark",
              "settings": {},
              "user_id": "128",
              "tracking_id": "{{trackingId ?? Guid.NewGuid().ToString()}}",
              "ip": "127.34.125.54",
              "amount": {{amount}},
              "currency": "{{currency}}",
              "amount_restricted": true,
              "customer": {
                "max_deposit_limit": 1000,
                "first_name": "John",
                "last_name": "Doe",
                "kyc_status": "passed",
                "email": "user@example.com",
                "zip_code": "12345",
                "address": "123 Main Street",
                "city": "New York",
                "dob": "05/03/2000",
                "country_code": "GB",
                "phone": { "country": "GB", "number": 783433252, "prefix": 44 }
              }
            }
            """)!.AsObject();
        change?.Invoke(request);
        return new JsonObject { ["request"] = request };
    }

    public static JsonObject S2SBody(string card = Approved, string? trackingId = null,
        Action<JsonObject>? change = null) =>
        Body(trackingId, r =>
        {
            r.Remove("theme");
            r["routing_id"] = 210;
            r["card_details"] = new JsonObject
            {
                ["holder_name"] = "John Doe", ["card_number"] = card, ["cvc"] = "444", ["exp_month"] = "05",
                ["exp_year"] = ExpYear,
            };
            change?.Invoke(r);
        });

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, JsonObject body) =>
        client.SendJsonAsync(HttpMethod.Post, path, body);

    /// <summary>Opens a hosted cashier page (deposit or payout) and returns its token.</summary>
    public static async Task<string> OpenAsync(this CashierMerchant merchant, string path = "/api/cashier/deposit",
        JsonObject? body = null) =>
        (await (await merchant.Api.PostJsonAsync(path, body ?? Body())).JsonAsync(200))
            .GetProperty("token").GetString()!;

    public static async Task<JsonElement> StatusAsync(this CashierMerchant merchant, string id) =>
        await (await merchant.Api.GetAsync($"/api/cashier/transactions/{id}")).JsonAsync(200);

    /// <summary>
    /// The list from the day before <paramref name="at"/> (default now) to the day after, so
    /// midnight cannot split a test.
    /// </summary>
    public static async Task<JsonElement> ListAsync(this CashierMerchant merchant, DateTimeOffset? at = null)
    {
        var day = TimeZoneInfo.ConvertTime(at ?? DateTimeOffset.UtcNow,
            TimeZoneInfo.FindSystemTimeZoneById("Africa/Johannesburg"));
        var query = $"?from={Date(day.AddDays(-1))}&to={Date(day.AddDays(1))}";
        return await (await merchant.Api.GetAsync("/api/cashier/transactions" + query)).JsonAsync(200);
    }

    public static string Date(DateTimeOffset day) =>
        day.ToString("dd-MM-yyyy", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The one transaction the page of <paramref name="token"/> shows, as the list shows it.</summary>
    public static async Task<JsonElement> TransactionOfPageAsync(this CashierMerchant merchant, GatewayApp app,
        string token)
    {
        using var browser = app.CreateClient();
        var html = await (await browser.GetAsync($"/cashier/{token}")).Content.ReadAsStringAsync();
        var id = System.Text.RegularExpressions.Regex.Match(html, "<dd class=\"reference\">([a-z0-9]{15})</dd>")
            .Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(id), "The cashier page shows no transaction id:\n" + html);
        return (await merchant.ListAsync(app.Clock?.GetUtcNow())).EnumerateArray()
            .Single(t => t.GetProperty("transaction_id").GetString() == id);
    }

    /// <summary>The user's side: opens the page at a provider and submits its form with the given fields.</summary>
    public static async Task<HttpResponseMessage> SubmitAtAsync(this GatewayApp app, string token, int? provider,
        params (string, string)[] fields)
    {
        using var payer = app.Payer();
        var url = provider is null ? $"/cashier/{token}" : $"/cashier/{token}?provider={provider}";
        var html = await (await payer.GetAsync(url)).HtmlAsync(200);
        return await payer.SubmitAsync(html, fields);
    }

    /// <summary>
    /// The user asks for a payout on the page to <paramref name="account"/>; returns the transaction id.
    /// </summary>
    public static async Task<string> RequestPayoutAsync(this CashierMerchant merchant, GatewayApp app,
        string account = "62000000001", JsonObject? body = null)
    {
        var token = await merchant.OpenAsync("/api/cashier/payout", body ?? Body());
        var response = await app.SubmitAtAsync(token, null, ("holder", "John Doe"), ("bank", "FNB"),
            ("account", account));
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, response.StatusCode);
        return (await merchant.TransactionOfPageAsync(app, token)).GetProperty("transaction_id").GetString()!;
    }

    public static Task<HttpResponseMessage> DecideAsync(this CashierMerchant merchant, string decision, string id) =>
        merchant.Api.PostJsonAsync($"/api/cashier/payout/{decision}", new JsonObject { ["transaction_id"] = id });
}
