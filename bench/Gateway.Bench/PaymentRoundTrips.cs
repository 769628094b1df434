using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// Storage round trips per payment request (x-api-key), counted like <see cref="RoundTrips"/> (each request's own
/// calls; the webhook deliveries of the payments made here are the process's background work). It also creates the
/// organisation and API key that <see cref="PaymentsLoad"/> drives the real gateway process with, and reads back
/// the rows of one pay/direct so the storage floor writes rows of the same size.
/// </summary>
public static class PaymentRoundTrips
{
    /// <summary>An organisation and its API key.</summary>
    public sealed record Tenant(long OrganisationId, string ApiKey);

    /// <summary>
    /// What the load test needs: a tenant with a transaction to view and that transaction's rows as written, and
    /// fresh tenants, one per write measurement (see <see cref="PaymentsLoad"/> for why).
    /// </summary>
    public sealed record Setup(Tenant Main, long TransactionId, TableEntity Transaction, TableEntity Event, IReadOnlyList<Tenant> Fresh);

    public const string PayDirectBody = "amount=10.00&merchant_reference=bench&pan=4242424242424242&expiry=1230&cvv=123";

    public static async Task<Setup> MeasureAsync(Azurite azurite, int freshTenants)
    {
        var counter = new RoundTrips.Counter();
        await using var app = new RoundTrips.CountingApp(azurite, counter);
        var main = await CreateTenantAsync(app);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", main.ApiKey);

        // Warm-up: the first payment reserves an id block and pays the first-call costs.
        var first = await PayAsync(client, "direct", idempotencyKey: null);
        var background = counter.Background.Snapshot();

        Console.WriteLine();
        Console.WriteLine("Storage round trips per payment request, x-api-key, its own calls only " +
            "(average over N requests after one warm-up):");
        Console.WriteLine($"  {"request",-44} {"N",4} {"round trips",12}");
        // 40 payments span two id blocks (Ids:BlockSize 20), so the averages include the counter's share.
        var direct = new List<long>();
        await RoundTrips.Report("POST pay/direct", 40, counter, async () => direct.Add(await PayAsync(client, "direct", null)));
        var key = "";
        await RoundTrips.Report("POST pay/direct, Idempotency-Key", 40, counter, async () =>
        {
            key = Guid.NewGuid().ToString();
            await PayAsync(client, "direct", key);
        });
        await RoundTrips.Report("POST pay/direct, Idempotency-Key replayed", 20, counter, () => PayAsync(client, "direct", key));

        // Settle needs authorisations; making them is not counted.
        var authorised = new Queue<long>();
        for (var i = 0; i < 20; i++) authorised.Enqueue(await PayAsync(client, "auth", null));
        await RoundTrips.Report("PUT pay/settle (by gateway_transaction_id)", 20, counter, () =>
            RoundTrips.Expect(client.PutAsync("/api/v1/pay/settle", Form($"gateway_transaction_id={authorised.Dequeue()}")), 200));

        var refundable = new Queue<long>(direct.Take(20));
        await RoundTrips.Report("PUT gateway-transaction/refund/{id} (full)", 20, counter, () =>
            RoundTrips.Expect(client.PutAsync($"/api/v1/gateway-transaction/refund/{refundable.Dequeue()}", Form("")), 200));
        await RoundTrips.Report("GET gateway-transaction/{id}", 20, counter, () =>
            RoundTrips.Expect(client.GetAsync($"/api/v1/gateway-transaction/{first}"), 200));
        RoundTrips.PrintBackground(counter, background, azurite);

        var payments = app.Services.GetRequiredService<GatewayTables>().Payments;
        var partition = PaymentRows.Partition(main.OrganisationId);
        var transaction = await payments.FindAsync(partition, PaymentRows.TransactionRow(first))
            ?? throw new InvalidOperationException("The first payment is not stored.");
        var sequence = transaction.GetInt32("Version") ?? 1;
        var paymentEvent = await payments.FindAsync(partition, PaymentRows.EventRow(first, sequence))
            ?? throw new InvalidOperationException("The first payment's event is not stored.");
        var fresh = new List<Tenant>();
        for (var i = 0; i < freshTenants; i++) fresh.Add(await CreateTenantAsync(app));
        return new Setup(main, first, transaction, paymentEvent, fresh);
    }

    internal static async Task<Tenant> CreateTenantAsync(RoundTrips.CountingApp app) =>
        await CreateTenantAsync(app, await RoundTrips.CreateOrganisationAsync(app));

    /// <summary>An API key for <paramref name="organisation"/>, made by its administrator.</summary>
    internal static async Task<Tenant> CreateTenantAsync(RoundTrips.CountingApp app, RoundTrips.Setup organisation)
    {
        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = RoundTrips.Basic(organisation.Username, organisation.Password);
        var created = await RoundTrips.Expect(admin.PostAsync($"/api/v1/organisation/{organisation.OrganisationId}/api-key",
            Form("ApiKey[mode]=test&ApiKey[name]=bench")), 201);
        return new Tenant(organisation.OrganisationId, JsonDocument.Parse(created).RootElement.GetProperty("key").GetString()!);
    }

    /// <summary>A pay/direct or pay/auth of the benchmark's body; the new transaction's id.</summary>
    internal static async Task<long> PayAsync(HttpClient client, string kind, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/pay/{kind}") { Content = Form(PayDirectBody) };
        if (idempotencyKey is not null) request.Headers.Add(Idempotency.Header, idempotencyKey);
        var body = await RoundTrips.Expect(client.SendAsync(request), 200);
        var transaction = JsonDocument.Parse(body).RootElement.GetProperty("transaction");
        var status = transaction.GetProperty("status").GetString();
        if (status != (kind == "auth" ? TransactionStatus.Authorised : TransactionStatus.Complete))
        {
            throw new InvalidOperationException($"pay/{kind} ended {status}: {body}");
        }
        return transaction.GetProperty("id").GetInt64();
    }

    internal static StringContent Form(string body) => new(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    /// <summary>The keys and metadata a row read back carries besides its own properties.</summary>
    private static bool IsProperty(string name) =>
        name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag");

    /// <summary>A new row with <paramref name="template"/>'s properties (a row read back), under other keys.</summary>
    internal static TableEntity Copy(TableEntity template, string partitionKey, string rowKey)
    {
        var copy = new TableEntity(partitionKey, rowKey);
        foreach (var (name, value) in template.Where(p => IsProperty(p.Key))) copy[name] = value;
        return copy;
    }

    /// <summary>The size of a row's own properties as JSON, in bytes (characters).</summary>
    internal static int Size(TableEntity entity) =>
        JsonSerializer.Serialize(entity.Where(p => IsProperty(p.Key)).ToDictionary(p => p.Key, p => p.Value)).Length;
}
