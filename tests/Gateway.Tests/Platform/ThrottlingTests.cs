using System.Net;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Platform;

/// <summary>
/// The gateway against storage that takes 40 entities a second per partition (Azure's limits simulated, scaled
/// down), with a one-second budget per storage call and the shortest idempotency lease (5 s), so throttling lasts longer
/// than a call may wait.
/// </summary>
public sealed class ThrottledApp : GatewayApp
{
    public ThrottledApp()
    {
        Settings["Storage:Limits:Enabled"] = "true";
        Settings["Storage:Limits:EntitiesPerPartition"] = "40";
        Settings["Storage:Limits:EntitiesPerAccount"] = "100000";
        Settings["Storage:Limits:Scale"] = "1";
        Settings["Storage:Retry:AttemptTimeout"] = "00:00:01";
        Settings["Storage:Retry:OperationTimeout"] = "00:00:01";
        Settings["Payments:IdempotencyLease"] = "00:00:05";
    }
}

/// <summary>
/// 503 ServerBusy from storage is retried with back-off within each call's budget, then answered 503 with
/// Retry-After; nothing is half-applied, so retries with the same Idempotency-Key end with each payment made once.
/// </summary>
public sealed class ThrottlingTests(ThrottledApp app) : IClassFixture<ThrottledApp>
{
    [Fact]
    public async Task PaymentsPastAPartitionsRateAre503WithRetryAfterAndRetriesMakeEachExactlyOnce()
    {
        using var merchant = await app.MerchantAsync(partitions: 1);
        const int payments = 60;
        HttpRequestMessage Pay(int i) => PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct",
            PaymentKit.Card(reference: $"busy-{i}")).WithKey($"busy-{merchant.Id}-{i}");

        var first = await Task.WhenAll(Enumerable.Range(0, payments).Select(i => merchant.Client.SendAsync(Pay(i))));
        var busy = first.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        // How many of the first wave get through depends on the machine's speed (a cold process may lose them all);
        // that the limit bound, and that retries then make each payment once, does not.
        Assert.NotEmpty(busy);
        Assert.All(first, r => Assert.Contains((int)r.StatusCode, new[] { 200, 409, 503 }));
        foreach (var response in busy)
        {
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            await response.ErrorAsync(503);
        }

        // The client's retries (a 409 while a request that gave up still holds its key, a 503 while storage is busy)
        // until every payment has its answer.
        var answers = new long?[payments];
        for (var i = 0; i < payments; i++)
        {
            if (first[i].StatusCode == HttpStatusCode.OK) answers[i] = (await first[i].JsonAsync(200)).Transaction().Id();
        }
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var i in Enumerable.Range(0, payments).Where(i => answers[i] is null))
            {
                var retry = await merchant.Client.SendAsync(Pay(i));
                if (retry.StatusCode == HttpStatusCode.OK) answers[i] = (await retry.JsonAsync(200)).Transaction().Id();
            }
            return answers.All(a => a is not null);
        }, "every payment answered 200 on a retry", TimeSpan.FromSeconds(120));

        // Read past the simulator: every payment once, whole, with the answer its key gave.
        var tables = new TableServiceClient(app.Azurite.ConnectionString).GetTableClient("Payments");
        var rows = new List<TableEntity>();
        await foreach (var row in tables.QueryAsync<TableEntity>(TableFilters.Partition(PaymentRows.Partition(merchant.Id)))) rows.Add(row);
        var transactions = rows.Where(r => r.RowKey.StartsWith(PaymentRows.TransactionPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(payments, transactions.Count);
        for (var i = 0; i < payments; i++)
        {
            var made = Assert.Single(transactions, t => t.GetString("MerchantReference") == $"busy-{i}");
            var id = PaymentRows.TransactionId(made.RowKey);
            Assert.Equal(answers[i], id);
            Assert.Contains(rows, r => r.RowKey == PaymentRows.GatewayReferenceRow(made.GetString("GatewayReference")!));
            Assert.Single(rows, r => r.RowKey.StartsWith($"{PaymentRows.EventPrefix}{id:D12}-", StringComparison.Ordinal));
        }
        Assert.All(rows.Where(r => r.RowKey.StartsWith(PaymentRows.IdempotencyPrefix, StringComparison.Ordinal)),
            r => Assert.Equal("done", r.GetString("State")));
    }
}
