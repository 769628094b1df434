using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per merchant console page (issue 17), counted like the API's (<see cref="RoundTrips"/>: each
/// request's own calls, with their breakdown by table and method), as a browser signed in as the organisation's
/// administrator asks for them: its <c>gw_console</c> cookie on every request, the gateway's origin on every post.
/// One organisation is set up through the API with the helpers of the other parts (payments, an API key, a webhook
/// URL, payable codes, a user, stored cards with payment schedules). Each page is counted on a session signed in just
/// before, after one warm-up request: a session records its use at most once a minute, so no counted request writes
/// it; that write is counted apart, on a session made to look two minutes idle.
/// </summary>
public static class ConsoleRoundTrips
{
    private const int Requests = 10;
    private const string Cookie = "gw_console";

    public static async Task MeasureAsync(Azurite azurite)
    {
        var counter = new RoundTrips.Counter();
        // The webhook URL is a closed local port: deliveries fail at once (refused) and their attempts are recorded,
        // so a transaction's page has attempts to show; the guard lets loopback through only with this setting.
        await using var app = new RoundTrips.CountingApp(azurite, counter,
            new Dictionary<string, string> { ["Webhooks:AllowLoopback"] = "true" });
        var organisation = await RoundTrips.CreateOrganisationAsync(app);
        var tenant = await PaymentRoundTrips.CreateTenantAsync(app, organisation);
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = RoundTrips.Basic(organisation.Username, organisation.Password);
        using var merchant = app.CreateClient();
        merchant.DefaultRequestHeaders.Add("x-api-key", tenant.ApiKey);
        var data = await SeedAsync(organisation, tenant, admin, merchant);

        var origin = app.Services.GetRequiredService<IOptions<PaymentOptions>>().Value.BaseUri
            .GetLeftPart(UriPartial.Authority);
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false, HandleCookies = false,
        });
        var session = "";
        async Task SignIn()
        {
            session = await SignInAsync(browser, origin, organisation);
            browser.DefaultRequestHeaders.Remove("Cookie");
            browser.DefaultRequestHeaders.Add("Cookie", $"{Cookie}={session}");
        }
        Task Page(string path) => RoundTrips.Expect(browser.GetAsync(path), 200);

        // Warm-up of the sign-in (the password's hash) and of a page (first-call costs). The viewed transaction's
        // webhook is delivered by the process's queue listener meanwhile: its attempt is waited for.
        await SignIn();
        await Page("/console/home");
        var viewed = $"/console/transactions/{data.Viewed}";
        for (var waited = 0; (await RoundTrips.Expect(browser.GetAsync(viewed), 200)).Contains("None yet.",
            StringComparison.Ordinal); waited++)
        {
            if (waited == 300) throw new InvalidOperationException($"No webhook attempt of {viewed} after 30 s.");
            await Task.Delay(100);
        }
        var background = counter.Background.Snapshot();

        Console.WriteLine();
        RoundTrips.PrintWrapped("Storage round trips per merchant console request, as the organisation's " +
            $"administrator (session cookie; {data.Description}), its own calls only (average over N requests after " +
            "one warm-up, on a session signed in just before, so none records the session's use); below each, its " +
            "calls per request by table and method:", "", first: "");
        Console.WriteLine($"  {"request",-44} {"N",4} {"round trips",12}");
        Task Report(string name, Func<Task> request, Func<Task>? prepare = null, int count = Requests) =>
            RoundTrips.ReportByTableAsync(name, count, counter, azurite, request, prepare);
        string[] pages =
        [
            "/console/sign-in", "/console/home", "/console/transactions", $"/console/transactions/{data.Viewed}",
            "/console/export", "/console/webhooks", "/console/credentials", "/console/settings", "/console/users",
            "/console/payouts", "/console/collections", "/console/schedules", "/console/codes",
        ];
        foreach (var path in pages)
        {
            await SignIn();
            await Page(path);
            await Report("GET " + path.Replace(data.Viewed.ToString(CultureInfo.InvariantCulture), "{id}",
                StringComparison.Ordinal), () => Page(path));
        }
        await SignIn();
        var search = $"/console/transactions?q={data.Viewed}";
        await Page(search);
        await Report("GET /console/transactions?q={id} (a search)", () => Page(search));

        // The use of a session is recorded at most once a minute: each request here finds it two minutes idle
        // (SessionService's row, written by a client of the benchmark's own, uncounted).
        var tokens = RoundTrips.GatewayTables(RoundTrips.Tables(azurite)).Tokens;
        await Report("GET /console/home, session use recorded", () => Page("/console/home"), prepare: () =>
            tokens.UpdateEntityAsync(new TableEntity(Secrets.Fingerprint(session), "console-session")
            {
                ["LastSeen"] = DateTimeOffset.UtcNow.AddMinutes(-2),
            }, ETag.All, TableUpdateMode.Merge));

        // A sign-in starts a new session; the measured ones use a browser of their own, so the pages' cookie stays.
        using var signingIn = app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false, HandleCookies = false,
        });
        await Report("POST /console/sign-in", () => SignInAsync(signingIn, origin, organisation));

        // Each refund posts the form of a page read just before (uncounted): its CSRF token and a fresh form key.
        await SignIn();
        var refund = $"/console/transactions/{data.Refunded}";
        var form = "";
        async Task ReadForm() => form = await RoundTrips.Expect(browser.GetAsync(refund), 200);
        Task Refund() => Post(browser, origin, refund + "/refund", 303,
            ("csrf", Field(form, "csrf")), ("form_key", Field(form, "form_key")), ("amount", "0.10"),
            ("confirm", "yes"));
        await ReadForm();
        await Refund();
        // The idempotency hold reserves the refund's id: 40 refunds span two id blocks (Ids:BlockSize 20), so the
        // average includes the counter's share, as the API's payments do.
        await Report("POST /console/transactions/{id}/refund", Refund, prepare: ReadForm, count: 40);
        RoundTrips.PrintWrapped("(each sign-in starts a session of its own; each refund is 0.10 of one 10.00 " +
            "payment, posting the csrf and form_key of the transaction's page read just before, uncounted)", "   ",
            first: "  ");
        RoundTrips.PrintBackground(counter, background, azurite);
    }

    /// <summary>What the organisation holds; the transactions whose pages are viewed and refunded.</summary>
    private sealed record Data(int Payments, int Codes, int Cards, int Schedules, long Viewed, long Refunded)
    {
        public string Description => $"the organisation holds {Payments} payments, {Codes} payable codes, " +
            $"{Cards} stored cards with {Schedules} payment schedules, 2 users, an API key and a webhook URL";
    }

    private static async Task<Data> SeedAsync(RoundTrips.Setup organisation, PaymentRoundTrips.Tenant tenant,
        HttpClient admin, HttpClient merchant)
    {
        const int payments = 5, codes = 2, cards = 2, schedulesPerCard = 2;
        // A closed local port: bound, then let go.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await RoundTrips.Expect(admin.PutAsync($"/api/v1/organisation/{organisation.OrganisationId}", PaymentRoundTrips
            .Form($"Organisation[webhook_success_url]=http://127.0.0.1:{port}/bench-webhooks")), 200);
        await RoundTrips.Expect(admin.PostAsync("/api/v1/user", PaymentRoundTrips.Form(
            $"User[username]=bench-agent-{Guid.NewGuid().ToString("N")[..8]}&User[role]=agent")), 201);

        var paid = new List<long>();
        for (var i = 0; i < payments; i++) paid.Add(await PaymentRoundTrips.PayAsync(merchant, "direct", null));
        for (var i = 0; i < codes; i++) await CodeRoundTrips.CreateAsync(merchant, useOnce: i % 2 == 0);

        // Monthly schedules starting in 40 days: none falls due while the benchmark runs.
        var start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(40))
            .ToString("dd-MM-yyyy", CultureInfo.InvariantCulture);
        for (var c = 0; c < cards; c++)
        {
            var stored = await RoundTrips.Expect(merchant.PostAsync("/api/v1/customer-token/direct", PaymentRoundTrips
                .Form($"merchant_reference=bench-card-{c}&pan=4242424242424242&expiry=1230&cvv=123")), 200);
            var card = JsonDocument.Parse(stored).RootElement.GetProperty("guid").GetString();
            var fields = string.Join("&", Enumerable.Range(0, schedulesPerCard).Select(s =>
                $"schedules[{s}][interval]=monthly&schedules[{s}][amount]=15.00&schedules[{s}][start_date]={start}" +
                $"&schedules[{s}][count]=6"));
            await RoundTrips.Expect(merchant.PostAsync("/api/v1/payment-schedule",
                PaymentRoundTrips.Form($"guid={card}&{fields}")), 200);
        }
        return new Data(payments, codes, cards, cards * schedulesPerCard, paid[0], paid[1]);
    }

    /// <summary>Signs in as the organisation's administrator, as its form does; the session cookie's value.</summary>
    private static async Task<string> SignInAsync(HttpClient browser, string origin, RoundTrips.Setup organisation)
    {
        using var response = await Send(browser, origin, "/console/sign-in", 303,
            ("username", organisation.Username), ("password", organisation.Password));
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0])
                .FirstOrDefault(v => v.StartsWith(Cookie + "=", StringComparison.Ordinal))
            : null;
        return cookie?[(Cookie.Length + 1)..]
            ?? throw new InvalidOperationException("The console's sign-in set no session cookie.");
    }

    private static async Task Post(HttpClient browser, string origin, string path, int status,
        params (string Name, string Value)[] fields)
    {
        using var response = await Send(browser, origin, path, status, fields);
    }

    /// <summary>A form post as a browser on the console's pages sends it: with the gateway's origin.</summary>
    private static async Task<HttpResponseMessage> Send(HttpClient browser, string origin, string path, int status,
        params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };
        request.Headers.Add("Origin", origin);
        var response = await browser.SendAsync(request);
        if ((int)response.StatusCode == status) return response;
        var text = await response.Content.ReadAsStringAsync();
        response.Dispose();
        throw new InvalidOperationException(
            $"POST {path}: expected {status}, got {(int)response.StatusCode}: {text}");
    }

    /// <summary>The value of a hidden field of a page's form.</summary>
    private static string Field(string html, string name)
    {
        var match = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]+)\"");
        return match.Success ? match.Groups[1].Value
            : throw new InvalidOperationException($"The page has no hidden field {name}.");
    }
}
