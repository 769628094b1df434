using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>A merchant for one test: its organisation and an administrator's client.</summary>
public sealed record Merchant(TestOrganisation Organisation, HttpClient Client) : IDisposable
{
    public long Id => Organisation.Id;

    public void Dispose() => Client.Dispose();
}

/// <summary>Payment requests as merchants send them, and reads of what the gateway stored.</summary>
public static class PaymentKit
{
    public const string Approved = "4242424242424242";
    public const string Challenge = "4000000000003220";
    public const string Expiry = "1230";

    public static async Task<Merchant> MerchantAsync(this GatewayApp app, string mode = "test", string timezone = "Africa/Johannesburg",
        int? partitions = null)
    {
        var organisation = await app.CreateOrganisationAsync(mode, timezone, partitions);
        return new Merchant(organisation, app.ClientFor(organisation.Admin));
    }

    public static (string, string)[] Card(string pan = Approved, string amount = "10.00", string reference = "ref-1", params (string, string)[] extra) =>
        [("amount", amount), ("merchant_reference", reference), ("pan", pan), ("expiry", Expiry), ("cvv", "123"), .. extra];

    public static async Task<JsonElement> PayAsync(this HttpClient client, string pan = Approved, string amount = "10.00", string reference = "ref-1",
        string path = "direct", params (string, string)[] extra) =>
        await (await client.PostFormAsync($"/api/v1/pay/{path}", Card(pan, amount, reference, extra))).JsonAsync(200);

    /// <summary>The transaction of a pay/direct or pay/auth result.</summary>
    public static JsonElement Transaction(this JsonElement result)
    {
        Assert.Equal("result", result.GetProperty("type").GetString());
        return result.GetProperty("transaction");
    }

    public static long Id(this JsonElement transaction) => transaction.GetProperty("id").GetInt64();

    public static string Text(this JsonElement element, string property) => element.GetProperty(property).ToString();

    public static async Task<JsonElement> ViewAsync(this HttpClient client, long id) =>
        await (await client.GetAsync($"/api/v1/gateway-transaction/{id}")).JsonAsync(200);

    public static HttpRequestMessage WithKey(this HttpRequestMessage request, string key)
    {
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    public static HttpRequestMessage FormRequest(HttpMethod method, string url, params (string Key, string Value)[] fields) =>
        new(method, url) { Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))) };

    /// <summary>The outbox: every event row of a transaction, in sequence.</summary>
    public static async Task<List<TableEntity>> EventsAsync(this GatewayApp app, long organisationId, long transactionId)
    {
        var events = new List<TableEntity>();
        var filter = TableFilters.RowPrefix(PaymentRows.TransactionPartition(organisationId, transactionId), $"evt-{transactionId:D12}-");
        await foreach (var e in app.Service<GatewayTables>().Payments.QueryAsync<TableEntity>(filter)) events.Add(e);
        return events;
    }

    /// <summary>Opens the key as the card page does, then pays it (an unknown key is the 404 a payer would see).</summary>
    public static async Task<HostedOutcome> PayByCardAsync(this HostedPayments hosted, string key, CardDetails card, bool rememberCard,
        CancellationToken cancellationToken) =>
        await hosted.PayByCardAsync(await hosted.OpenAsync(key, cancellationToken) ?? throw ApiException.NotFound("This payment link is not valid."),
            card, rememberCard, cancellationToken);
}
