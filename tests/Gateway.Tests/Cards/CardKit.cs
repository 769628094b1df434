using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cards;

/// <summary>Card vault requests as merchants send them, and reads of the rows the vault keeps.</summary>
public static class CardKit
{
    public static readonly string[] CreatedShape = ["merchant_reference", "token", "guid", "expiry_date"];
    public static readonly string[] ViewShape = ["merchant_reference", "token", "guid", "expiry_date", "pan", "card_bin"];
    public static readonly string[] PayShape =
        ["success", "amount", "reason", "callpay_transaction_id", "organisation_id", "user", "merchant_reference", "gateway_reference", "gateway_response"];
    public static readonly string[] AuthShape =
        ["success", "amount", "reason", "callpay_transaction_id", "organisation_id", "merchant_reference", "gateway_reference", "gateway_response"];

    public static Task<HttpResponseMessage> PostCardAsync(this HttpClient client, string reference, string pan = PaymentKit.Approved,
        string expiry = PaymentKit.Expiry, string cvv = "123") =>
        client.PostFormAsync("/api/v1/customer-token/direct", ("merchant_reference", reference), ("pan", pan), ("expiry", expiry), ("cvv", cvv));

    /// <summary>Stores a card through the API; returns the created token (<c>guid</c> names it).</summary>
    public static async Task<JsonElement> StoreCardAsync(this HttpClient client, string reference, string pan = PaymentKit.Approved) =>
        await (await client.PostCardAsync(reference, pan)).JsonAsync(200);

    public static Task<HttpResponseMessage> PayTokenAsync(this HttpClient client, string guid, string path = "pay", string amount = "10.00",
        string reference = "tok-pay-1", params (string, string)[] extra) =>
        client.PostFormAsync($"/api/v1/customer-token/{guid}/{path}", [("amount", amount), ("reference", reference), .. extra]);

    public static string Url(string referenceOrGuid) => "/api/v1/customer-token/" + Uri.EscapeDataString(referenceOrGuid);

    /// <summary>
    /// The organisation's Payments rows whose key starts with <paramref name="prefix"/>, in its home partition and
    /// every shard's (<c>org-{id}</c> and <c>org-{id}-nn</c>: '.' sorts after '-').
    /// </summary>
    public static async Task<List<TableEntity>> RowsAsync(this GatewayApp app, long organisationId, string prefix)
    {
        var home = PaymentRows.Partition(organisationId);
        var filter = TableFilters.And(TableClient.CreateQueryFilter($"PartitionKey ge {home} and PartitionKey lt {home + "."}"),
            TableFilters.RowPrefix(prefix));
        var rows = new List<TableEntity>();
        await foreach (var e in app.Service<GatewayTables>().Payments.QueryAsync<TableEntity>(filter)) rows.Add(e);
        return rows;
    }
}
