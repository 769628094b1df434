using Gateway.Testing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>
/// An app on a clock that starts at 08:00 UTC today, so transactions can be made at chosen times. (Today, not a fixed
/// date: rows it writes must not look long abandoned to sweeps that other test processes run on real time.)
/// </summary>
public sealed class CalendarGatewayApp : GatewayApp
{
    public static readonly DateTimeOffset Start = new(DateTimeOffset.UtcNow.Date.AddHours(8), TimeSpan.Zero);

    public CalendarGatewayApp() => Clock = new ManualClock(Start);
}

public sealed class TransactionQueryTests(CalendarGatewayApp app) : IClassFixture<CalendarGatewayApp>
{
    [Fact]
    public async Task DateFiltersUseTheOrganisationsTimeZoneAndIncludeBothDays()
    {
        using var merchant = await app.MerchantAsync();
        var day = CalendarGatewayApp.Start.Date;
        string Day(int offset) => day.AddDays(offset).ToString("dd-MM-yyyy");
        var start = app.Clock!.GetUtcNow();
        app.Clock.Advance(new DateTimeOffset(day.AddHours(21).AddMinutes(30), TimeSpan.Zero) - start); // 23:30 in Johannesburg
        var late = (await merchant.Client.PayAsync(reference: "late")).Transaction();
        app.Clock.Advance(TimeSpan.FromHours(1)); // 00:30 on the next day there, still the same day in UTC
        var early = (await merchant.Client.PayAsync(reference: "early")).Transaction();
        app.Clock.Advance(TimeSpan.FromDays(1));
        var next = (await merchant.Client.PayAsync(reference: "next")).Transaction();

        async Task<long[]> ListAsync(string query) =>
            [.. (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction{query}")).JsonAsync(200))
                .EnumerateArray().Select(t => t.Id())];

        Assert.Equal([late.Id()], await ListAsync($"?from_date={Day(0)}&to_date={Day(0)}"));
        Assert.Equal([early.Id(), next.Id()], await ListAsync($"?from_date={Day(1)}"));
        Assert.Equal([late.Id(), early.Id()], await ListAsync($"?to_date={Day(1)}"));
        Assert.Equal([late.Id(), early.Id(), next.Id()], await ListAsync(""));
        Assert.Equal(day.AddDays(1).ToString("yyyy-MM-dd") + " 00:30:00", (await merchant.Client.ViewAsync(early.Id())).Text("created"));

        var item = (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200))[0];
        Assert.Equal(["id", "successful", "amount", "gateway_reference", "created", "service", "status", "currency", "merchant_reference"], item.Keys());
    }

    [Fact]
    public async Task LargeListsArePagedWithALinkToTheNextPage()
    {
        using var merchant = await app.MerchantAsync();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add((await merchant.Client.PayAsync(reference: $"p{i}")).Transaction().Id());

        var seen = new List<long>();
        var url = $"/api/v1/organisation/{merchant.Id}/gateway-transaction?limit=2";
        var pages = 0;
        while (url is not null)
        {
            var response = await merchant.Client.GetAsync(url);
            seen.AddRange((await response.JsonAsync(200)).EnumerateArray().Select(t => t.Id()));
            pages++;
            url = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
            if (url is not null) Assert.Contains(response.Headers.GetValues("X-Next-Page-Token").Single(), url);
        }
        Assert.Equal(3, pages);
        Assert.Equal(ids, seen);
        await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction?limit=0")).ErrorAsync(400);
        await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction?page_token=abc")).ErrorAsync(400);
    }

    [Fact]
    public async Task UsersListTheirOwnTransactionsAndAdministratorsAnyones()
    {
        using var merchant = await app.MerchantAsync();
        var (agent, agentId) = await app.CreateUserAsync(merchant.Organisation);
        await app.ActivateAsync(merchant.Organisation, agentId, Gateway.Identity.Services.Direct);
        using var agentClient = app.ClientFor(agent);
        var mine = (await agentClient.PayAsync(reference: "agent")).Transaction();
        await merchant.Client.PayAsync(reference: "admin");

        var listed = await (await agentClient.GetAsync($"/api/v1/user/{agentId}/gateway-transaction")).JsonAsync(200);
        Assert.Equal([mine.Id()], listed.EnumerateArray().Select(t => t.Id()));
        var byAdmin = await (await merchant.Client.GetAsync($"/api/v1/user/{agentId}/gateway-transaction")).JsonAsync(200);
        Assert.Equal([mine.Id()], byAdmin.EnumerateArray().Select(t => t.Id()));
        await (await agentClient.GetAsync($"/api/v1/user/{merchant.Organisation.AdminId}/gateway-transaction")).ErrorAsync(403);
        // Agents cannot refund, list the organisation or export.
        await (await agentClient.PutAsync($"/api/v1/gateway-transaction/refund/{mine.Id()}", null)).ErrorAsync(403);
        await (await agentClient.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).ErrorAsync(403);
        await (await agentClient.GetAsync("/api/v1/export/gateway-transactions")).ErrorAsync(403);
    }

    [Fact]
    public async Task TransactionsAreFoundByReferenceAndByPaymentKey()
    {
        using var merchant = await app.MerchantAsync();
        var older = (await merchant.Client.PayAsync(reference: "o'brien & co")).Transaction();
        var newer = (await merchant.Client.PayAsync(reference: "o'brien & co")).Transaction();
        var byReference = await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/?reference=" + Uri.EscapeDataString("o'brien & co"))).JsonAsync(200);
        Assert.Equal(newer.Id(), byReference.Id());
        var byKey = await (await merchant.Client.GetAsync($"/api/v1/gateway-transaction/?key={older.Text("payment_key")}")).JsonAsync(200);
        Assert.Equal(older.Id(), byKey.Id());

        await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/?reference=nobody")).ErrorAsync(404);
        await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/?key=' or 1 eq 1")).ErrorAsync(404);
        await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/")).ErrorAsync(400);
        await (await merchant.Client.GetAsync("/api/v1/gateway-transaction/?reference=a&key=b")).ErrorAsync(400);
    }

    [Fact]
    public async Task TheExportIsCsvWithFormulasNeutralised()
    {
        using var merchant = await app.MerchantAsync();
        var day = app.Clock!.GetUtcNow();
        await merchant.Client.PayAsync(reference: "=HYPERLINK(\"x\")");
        await merchant.Client.PayAsync(reference: "a,b \"quoted\"");
        await merchant.Client.PayAsync(reference: "@SUM(A1)");

        var date = TimeZoneInfo.ConvertTime(day, TimeZoneInfo.FindSystemTimeZoneById("Africa/Johannesburg")).ToString("dd-MM-yyyy");
        var response = await merchant.Client.GetAsync($"/api/v1/export/gateway-transactions?from_date={date}&to_date={date}");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,created,status,successful,amount,refunded_amount,currency,merchant_reference", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains(",\"'=HYPERLINK(\"\"x\"\")\",", lines[1]);
        Assert.Contains(",\"a,b \"\"quoted\"\"\",", lines[2]);
        Assert.Contains(",'@SUM(A1),", lines[3]);
        Assert.Contains(",424242******4242,", lines[1]);
        await (await merchant.Client.GetAsync("/api/v1/export/gateway-transactions?from_date=2026-03-10")).ErrorAsync(400);
        await (await merchant.Client.GetAsync("/api/v1/export/gateway-transactions?from_date=12-03-2026&to_date=10-03-2026")).ErrorAsync(400);
        await (await merchant.Client.GetAsync("/api/v1/export/gateway-transactions?from_date=31-02-2026")).ErrorAsync(400);
        await (await merchant.Client.GetAsync("/api/v1/export/gateway-transactions?to_date=31-12-9999")).ErrorAsync(400);
        await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction?from_date=01-01-0001")).ErrorAsync(400);
    }
}
