using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Cashier;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per cashier request (document 003, as an x-api-key merchant): a hosted deposit opened, a
/// server-to-server card deposit (the cashier always asks for 3-D Secure, so an approved card waits for it, pending;
/// a declined card ends at once, with its event) and a tracking_id replayed, counted like
/// <see cref="CodeRoundTrips"/> (each request's own calls) with their breakdown by table and method. It also makes
/// the tenants <see cref="CashierLoad"/> drives the gateway process with, and reads back a transaction of each kind as
/// the gateway wrote it, so that the storage floor writes rows of the same shape and size.
/// </summary>
public static class CashierRoundTrips
{
    /// <summary>Approved by the simulated acquirer; the cashier asks for 3-D Secure, so it is challenged.</summary>
    public const string ChallengedCard = "4242424242424242";

    /// <summary>Declined by the simulated acquirer ("Insufficient funds"): rejected when opened.</summary>
    public const string DeclinedCard = "4000000000009995";

    /// <summary>
    /// Transactions as the gateway wrote them: a hosted deposit, an s2s deposit waiting for 3-D Secure, a declined one.
    /// </summary>
    public sealed record Templates(CashierTransaction Hosted, CashierTransaction Challenged,
        CashierTransaction Declined);

    /// <summary>The tenant of the warm-ups, the transactions, and fresh tenants, one per write measurement.</summary>
    public sealed record Setup(PaymentRoundTrips.Tenant Main, Templates Rows,
        IReadOnlyList<PaymentRoundTrips.Tenant> Fresh);

    /// <summary>The document's hosted deposit (requests/cashier.http), in the organisation's currency.</summary>
    public static string DepositBody(string trackingId) => Body(trackingId, card: null);

    /// <summary>The document's server-to-server deposit with <paramref name="card"/>, to the card simulator.</summary>
    public static string S2SBody(string trackingId, string card) => Body(trackingId, card);

    public static async Task<Setup> MeasureAsync(Azurite azurite, int freshTenants)
    {
        var counter = new RoundTrips.Counter();
        await using var app = new RoundTrips.CountingApp(azurite, counter);
        var main = await PaymentRoundTrips.CreateTenantAsync(app);
        using var merchant = app.CreateClient();
        merchant.DefaultRequestHeaders.Add("x-api-key", main.ApiKey);

        // Warm-up: the first of each request pays the first-call costs, the first deposit reserves an id block.
        var hosted = NewTrackingId();
        await DepositAsync(merchant, hosted);
        var challenged = NewTrackingId();
        await S2SAsync(merchant, challenged, ChallengedCard, "pending");
        var declined = NewTrackingId();
        await S2SAsync(merchant, declined, DeclinedCard, "rejected");
        var background = counter.Background.Snapshot();

        Console.WriteLine();
        Console.WriteLine("Storage round trips per cashier request, x-api-key, its own calls only (average over N " +
            "requests after one warm-up),");
        Console.WriteLine("each with a new tracking_id but the replays (the same request again: the same " +
            "answer); below each, its calls");
        Console.WriteLine("per request by table and method:");
        Console.WriteLine($"  {"request",-44} {"N",4} {"round trips",12}");
        Task Report(string name, int count, Func<Task> request) =>
            RoundTrips.ReportByTableAsync(name, count, counter, azurite, request);
        // 40 deposits span two id blocks (Ids:BlockSize 20), so the averages include the counter's share.
        await Report("POST cashier/deposit (hosted)", 40, () => DepositAsync(merchant, NewTrackingId()));
        await Report("POST cashier/deposit/s2s, 3-D Secure asked", 40,
            () => S2SAsync(merchant, NewTrackingId(), ChallengedCard, "pending"));
        await Report("POST cashier/deposit/s2s, declined card", 40,
            () => S2SAsync(merchant, NewTrackingId(), DeclinedCard, "rejected"));
        // A replay answers what the first request opened, without writing.
        var token = await DepositAsync(merchant, hosted);
        await Report("POST cashier/deposit, same tracking_id", 20, async () =>
        {
            if (await DepositAsync(merchant, hosted) != token)
            {
                throw new InvalidOperationException("A replayed deposit answered another token.");
            }
        });
        var transaction = await S2SAsync(merchant, challenged, ChallengedCard, "pending");
        await Report("POST cashier/deposit/s2s, same tracking_id", 20, async () =>
        {
            if (await S2SAsync(merchant, challenged, ChallengedCard, "pending") != transaction)
            {
                throw new InvalidOperationException("A replayed s2s deposit answered another transaction.");
            }
        });
        RoundTrips.PrintBackground(counter, background, azurite);

        var store = app.Services.GetRequiredService<CashierStore>();
        async Task<CashierTransaction> Read(string trackingId) =>
            await store.FindByTrackingIdAsync(main.OrganisationId, trackingId, CancellationToken.None)
            ?? throw new InvalidOperationException($"The deposit of tracking id {trackingId} is not stored.");
        var templates = new Templates(await Read(hosted), await Read(challenged), await Read(declined));
        var fresh = new List<PaymentRoundTrips.Tenant>();
        for (var i = 0; i < freshTenants; i++) fresh.Add(await PaymentRoundTrips.CreateTenantAsync(app));
        return new Setup(main, templates, fresh);
    }

    private static string NewTrackingId() => Guid.NewGuid().ToString();

    private static string Body(string trackingId, string? card)
    {
        var request = new JsonObject
        {
            ["mode"] = "test", ["settings"] = new JsonObject(), ["user_id"] = "128", ["tracking_id"] = trackingId,
            ["ip"] = "127.34.125.54", ["amount"] = 10.05m, ["currency"] = Currencies.Default,
            ["customer"] = new JsonObject
            {
                ["max_deposit_limit"] = 1000, ["first_name"] = "John", ["last_name"] = "Doe", ["kyc_status"] = "passed",
                ["email"] = "user@example.com", ["zip_code"] = "12345", ["address"] = "123 Main Street",
                ["city"] = "New York", ["dob"] = "05/03/2000", ["country_code"] = "GB",
                ["phone"] = new JsonObject { ["country"] = "GB", ["number"] = 783433252, ["prefix"] = 44 },
            },
        };
        if (card is null)
        {
            request["theme"] = "dark";
            request["amount_restricted"] = true;
        }
        else
        {
            request["routing_id"] = CashierProviders.Card.Id;
            request["card_details"] = new JsonObject
            {
                ["holder_name"] = "John Doe", ["card_number"] = card, ["cvc"] = "444", ["exp_month"] = "05",
                ["exp_year"] = (DateTime.UtcNow.Year + 3).ToString(CultureInfo.InvariantCulture),
            };
        }
        return new JsonObject { ["request"] = request }.ToJsonString();
    }

    /// <summary>Opens a hosted deposit; its page's token.</summary>
    private static async Task<string> DepositAsync(HttpClient merchant, string trackingId)
    {
        var body = await RoundTrips.Expect(merchant.PostAsync("/api/cashier/deposit",
            Json(DepositBody(trackingId))), 200);
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A server-to-server deposit that must end <paramref name="status"/>; its transaction_id.</summary>
    private static async Task<string> S2SAsync(HttpClient merchant, string trackingId, string card, string status)
    {
        var body = await RoundTrips.Expect(merchant.PostAsync("/api/cashier/deposit/s2s",
            Json(S2SBody(trackingId, card))), 200);
        var answer = JsonDocument.Parse(body).RootElement;
        return answer.GetProperty("transaction_status").GetString() == status
            ? answer.GetProperty("transaction_id").GetString()!
            : throw new InvalidOperationException($"An s2s deposit with card {card} did not end {status}: {body}");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
