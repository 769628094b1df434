using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Codes;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per payable-code request (create as an x-api-key merchant, pay as the anonymous payer),
/// counted like <see cref="PaymentRoundTrips"/> (each request's own calls), with their breakdown by table and method.
/// It also makes the tenants <see cref="CodesLoad"/> drives the real gateway process with, each with a reusable code
/// to pay, and reads back the rows the gateway wrote, so that the storage floor writes rows of the same size.
/// </summary>
public static class CodeRoundTrips
{
    /// <summary>A merchant and a reusable code of theirs.</summary>
    public sealed record Tenant(PaymentRoundTrips.Tenant Merchant, string Code);

    /// <summary>
    /// Rows as the gateway wrote them: a code of each kind, a payment key open (as created) and paid, and a code
    /// payment's transaction and event.
    /// </summary>
    public sealed record Templates(TableEntity OnceCode, TableEntity ReusableCode, TableEntity OpenKey,
        TableEntity PaidKey, TableEntity Transaction, TableEntity Event);

    /// <summary>The tenant of the warm-ups, the rows, and fresh tenants, one per write measurement.</summary>
    public sealed record Setup(Tenant Main, Templates Rows, IReadOnlyList<Tenant> Fresh);

    /// <summary>The in-app payment's form: pay/direct's card fields.</summary>
    public const string PayBody = "pan=4242424242424242&expiry=1230&cvv=123";

    /// <summary>The create body (JSON, as documented): R 10.00 that never expires.</summary>
    public static string CreateBody(bool useOnce) => JsonSerializer.Serialize(new
    {
        amount = 10, merchantReference = "bench", shortDescription = "Basket of Goods", useOnce, expiryDate = 0,
    });

    public static async Task<Setup> MeasureAsync(Azurite azurite, int freshTenants)
    {
        var counter = new RoundTrips.Counter();
        await using var app = new RoundTrips.CountingApp(azurite, counter);
        var main = await CreateTenantAsync(app);
        using var merchant = Merchant(app, main.Merchant);
        // The payer sends no credentials: an x-api-key would add the merchant's authentication to each payment.
        using var payer = app.CreateClient();

        // Warm-up: the first of each request pays the first-call costs, the first payment reserves an id block.
        await PayAsync(payer, await CreateAsync(merchant, useOnce: true));
        var paid = await PayAsync(payer, main.Code);
        var background = counter.Background.Snapshot();

        Console.WriteLine();
        Console.WriteLine("Storage round trips per payable-code request, its own calls only (average over N requests " +
            "after one warm-up),");
        Console.WriteLine("create with x-api-key, pay as the anonymous payer; below each, its calls per request by " +
            "table and method:");
        Console.WriteLine($"  {"request",-44} {"N",4} {"round trips",12}");
        Task Report(string name, int count, Func<Task> request) =>
            RoundTrips.ReportByTableAsync(name, count, counter, azurite, request);
        await Report("POST code/create, use-once", 20, () => CreateAsync(merchant, useOnce: true));
        await Report("POST code/create, reusable", 20, () => CreateAsync(merchant, useOnce: false));
        // 40 payments span two id blocks (Ids:BlockSize 20), so the averages include the counter's share.
        await Report("POST code/{code}/pay, reusable code", 40, () => PayAsync(payer, main.Code));
        // Each use-once code pays once: they are made first, not counted.
        var unpaid = new Queue<string>();
        for (var i = 0; i < 40; i++) unpaid.Enqueue(await CreateAsync(merchant, useOnce: true));
        await Report("POST code/{code}/pay, use-once code", 40, () => PayAsync(payer, unpaid.Dequeue()));
        RoundTrips.PrintBackground(counter, background, azurite);

        var templates = await ReadTemplatesAsync(app.Services.GetRequiredService<GatewayTables>(), main,
            await CreateAsync(merchant, useOnce: true), paid);
        var fresh = new List<Tenant>();
        for (var i = 0; i < freshTenants; i++) fresh.Add(await CreateTenantAsync(app));
        return new Setup(main, templates, fresh);
    }

    /// <summary>
    /// The rows of a use-once code (<paramref name="onceCode"/>, unpaid) with its key, of the tenant's reusable code,
    /// and of its payment <paramref name="paidId"/> with the key it paid.
    /// </summary>
    private static async Task<Templates> ReadTemplatesAsync(GatewayTables tables, Tenant tenant, string onceCode,
        long paidId)
    {
        var partition = PaymentRows.Partition(tenant.Merchant.OrganisationId);
        async Task<TableEntity> Read(string row) => await tables.Payments.FindAsync(partition, row)
            ?? throw new InvalidOperationException($"The gateway's row {row} is not stored.");
        var once = await Read(CodeRows.Row(onceCode));
        var transaction = await Read(PaymentRows.TransactionRow(paidId));
        return new Templates(once, await Read(CodeRows.Row(tenant.Code)),
            await Read(PaymentRows.PaymentKeyRow(once.GetString("PaymentKey")!)),
            await Read(PaymentRows.PaymentKeyRow(transaction.GetString("PaymentKey")!)), transaction,
            await Read(PaymentRows.EventRow(paidId, transaction.GetInt32("Version") ?? 1)));
    }

    private static async Task<Tenant> CreateTenantAsync(RoundTrips.CountingApp app)
    {
        var merchant = await PaymentRoundTrips.CreateTenantAsync(app);
        using var client = Merchant(app, merchant);
        return new Tenant(merchant, await CreateAsync(client, useOnce: false));
    }

    private static HttpClient Merchant(RoundTrips.CountingApp app, PaymentRoundTrips.Tenant merchant)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", merchant.ApiKey);
        return client;
    }

    /// <summary>A code of the benchmark's body; its digits.</summary>
    internal static async Task<string> CreateAsync(HttpClient merchant, bool useOnce)
    {
        var body = await RoundTrips.Expect(merchant.PostAsync("/api/code/create",
            new StringContent(CreateBody(useOnce), Encoding.UTF8, "application/json")), 200);
        return JsonDocument.Parse(body).RootElement.GetProperty("code").GetString()!;
    }

    /// <summary>Pays the code as the benchmark's payer; the new transaction's id.</summary>
    private static async Task<long> PayAsync(HttpClient payer, string code)
    {
        var body = await RoundTrips.Expect(payer.PostAsync($"/api/code/{code}/pay",
            new StringContent(PayBody, Encoding.UTF8, "application/x-www-form-urlencoded")), 200);
        var transaction = JsonDocument.Parse(body).RootElement.GetProperty("transaction");
        var status = transaction.GetProperty("status").GetString();
        return status == TransactionStatus.Complete
            ? transaction.GetProperty("id").GetInt64()
            : throw new InvalidOperationException($"Paying code {code} ended {status}: {body}");
    }
}
