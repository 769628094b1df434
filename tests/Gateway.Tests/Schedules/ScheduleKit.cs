using System.Globalization;
using System.Text.Json;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Schedules;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Schedules;

/// <summary>
/// An app whose runner works over tables and an event queue of its own: a run visits every organisation with
/// schedules, so on shared tables it would charge other test classes' schedules.
/// </summary>
public class ScheduleApp : GatewayApp
{
    public ScheduleApp()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "sched" + run;
        Settings["Payments:EventQueue"] = "sched-" + run;
    }
}

/// <summary>Stored cards, schedules, organisation clocks and runs, as merchants and the timer use them.</summary>
public static class ScheduleKit
{
    /// <summary>Stores a card for the merchant; returns its guid.</summary>
    public static async Task<Guid> CardAsync(this GatewayApp app, Merchant merchant, string reference, string pan = PaymentKit.Approved, string expiry = "1230")
    {
        var response = await merchant.Client.PostFormAsync("/api/v1/customer-token/direct",
            ("merchant_reference", reference), ("pan", pan), ("expiry", expiry), ("cvv", "123"));
        return Guid.Parse((await response.JsonAsync(200)).Text("guid"));
    }

    /// <summary>Sets the organisation's test clock (its zone's local time, yyyy-MM-dd HH:mm:ss).</summary>
    public static async Task ClockAsync(this Merchant merchant, string now)
    {
        var set = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}/test-clock", ("now", now))).JsonAsync(200);
        Assert.Equal(now, set.Text("now"));
    }

    public static (string, string)[] Schedule(int n, string interval, string amount, string start, int count) =>
    [
        ($"schedules[{n}][interval]", interval), ($"schedules[{n}][amount]", amount),
        ($"schedules[{n}][start_date]", start), ($"schedules[{n}][count]", count.ToString(CultureInfo.InvariantCulture)),
    ];

    public static async Task<JsonElement> ScheduleAsync(this Merchant merchant, Guid card, params (string, string)[] fields) =>
        await (await merchant.Client.PostFormAsync("/api/v1/payment-schedule", [("guid", card.ToString()), .. fields])).JsonAsync(200);

    public static async Task<JsonElement> SchedulesAsync(this Merchant merchant, Guid card) =>
        await (await merchant.Client.GetAsync($"/api/v1/payment-schedule/{card}")).JsonAsync(200);

    public static async Task<ScheduleRunResult> RunSchedulesAsync(this GatewayApp app)
    {
        using var scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PaymentScheduleRunner>().RunOnceAsync(CancellationToken.None);
    }

    /// <summary>The transactions schedules made for an organisation, in id order.</summary>
    public static Task<List<PaymentTransaction>> ScheduledPaymentsAsync(this GatewayApp app, long organisationId) =>
        Eventually.ReadAsync(async () =>
        {
            var list = new List<PaymentTransaction>();
            var organisation = (await app.Service<IdentityStore>().GetOrganisationAsync(organisationId, CancellationToken.None))!;
            await foreach (var t in app.Service<PaymentStore>().ListAsync(organisation, null, null, null, 0, CancellationToken.None))
            {
                if (t.Service == PaymentScheduleRunner.Service) list.Add(t);
            }
            return list;
        }, "the scheduled payments could be read");

    public static List<string> Strings(this JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>A date (dd-MM-yyyy) in the default zone, Africa/Johannesburg (UTC+2), on an app's moved clock.</summary>
    public static string Today(ManualClock clock, int days = 0) =>
        DateOnly.FromDateTime(clock.GetUtcNow().ToOffset(TimeSpan.FromHours(2)).DateTime).AddDays(days).ToString("dd-MM-yyyy", CultureInfo.InvariantCulture);
}
