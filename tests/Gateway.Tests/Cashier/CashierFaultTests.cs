using System.Net;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Platform;

namespace Gateway.Tests.Cashier;

/// <summary>
/// The cashier with storage failing under it, through the Azure SDK's pipeline: a lost answer is recognised, not
/// repeated; a commit storage never takes is a 503 that leaves nothing behind, and the retry with the same tracking
/// id lands once, with the card charged under the same key.
/// </summary>
public sealed class CashierFaultTests(FaultyStorageApp app) : IClassFixture<FaultyStorageApp>, IDisposable
{
    public void Dispose() => app.Faults.Clear();

    [Fact]
    public async Task ADepositWhoseCommitAnswerIsLostIsOpenedOnce()
    {
        using var merchant = await app.CashierMerchantAsync();
        var tracking = Guid.NewGuid().ToString();
        app.Faults.LoseNext("POST", "$batch");
        var answer = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined, tracking))).JsonAsync(200);
        Assert.Equal(0, app.Faults.Remaining);
        Assert.Equal("rejected", answer.Text("transaction_status"));
        var listed = Assert.Single((await merchant.ListAsync()).EnumerateArray());
        Assert.Equal(answer.Text("transaction_id"), listed.Text("transaction_id"));
        Assert.Single(await app.EventsAsync(merchant.Id,
            await InternalIdAsync(merchant.Id, answer.Text("transaction_id"))));
    }

    [Fact]
    public async Task ACommitStorageNeverTakesIsA503AndTheRetryChargesUnderTheSameKeyOnce()
    {
        using var merchant = await app.CashierMerchantAsync();
        var tracking = Guid.NewGuid().ToString();
        app.Faults.Always(StorageFault.ServerBusy, r => StorageFaultPolicy.Matches(r, "POST", "$batch"));
        var failed = await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: tracking));
        app.Faults.Clear();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        await failed.ErrorAsync(503);
        Assert.Empty((await merchant.ListAsync()).EnumerateArray());

        var retried = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: tracking))).JsonAsync(200);
        var listed = Assert.Single((await merchant.ListAsync()).EnumerateArray());
        Assert.Equal(retried.Text("transaction_id"), listed.Text("transaction_id"));
        // The simulator's reference derives from the charge's idempotency key: the same key, whichever attempt charged.
        Assert.Equal(
            SimulatedReference($"cashier-{merchant.Id}-{Gateway.Cashier.CashierTransaction.TrackingRow(tracking)}"),
            listed.Text("provider_transaction_id"));
    }

    [Fact]
    public async Task DecisionsWhoseAnswersAreLostAreMadeOnce()
    {
        using var merchant = await app.CashierMerchantAsync();
        var approved = await merchant.RequestPayoutAsync(app);
        app.Faults.LoseNext("POST", "$batch");
        await (await merchant.DecideAsync("approve", approved)).JsonAsync(200);
        Assert.Equal(0, app.Faults.Remaining);
        await app.RunCashierAsync();
        Assert.Equal("successful", (await merchant.StatusAsync(approved)).Text("transaction_status"));

        var rejected = await merchant.RequestPayoutAsync(app);
        app.Faults.LoseNext("POST", "$batch");
        await (await merchant.DecideAsync("reject", rejected)).JsonAsync(200);
        Assert.Equal(0, app.Faults.Remaining);
        var events = await app.EventsAsync(merchant.Id, await InternalIdAsync(merchant.Id, rejected));
        Assert.Equal(["pending", "rejected"], events.Select(e => e.GetString("Status")));
    }

    private async Task<long> InternalIdAsync(long organisationId, string publicId) =>
        (await app.Service<GatewayTables>().Payments.GetEntityAsync<TableEntity>(PaymentRows.Partition(organisationId),
            Gateway.Cashier.CashierTransaction.PublicIdRow(publicId))).Value.GetInt64("TransactionId")!.Value;

    private static string SimulatedReference(string key) => new Guid(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(key)).AsSpan(0, 16)).ToString();
}
