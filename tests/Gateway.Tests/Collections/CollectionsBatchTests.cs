using System.Text.Json;
using Gateway.Tests.Payments;
using Gateway.Tests.Webhooks;

namespace Gateway.Tests.Collections;

/// <summary>Submission batches and webhooks hold at most <c>Collections:BatchSize</c> transactions (here 2).</summary>
public sealed class CollectionsBatchTests(SmallBatchCollectionsApp app) : IClassFixture<SmallBatchCollectionsApp>
{
    [Fact]
    public async Task FiveDebitsGoToTheBankInThreeBatchesAndToTheMerchantInThreeWebhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.CollectionsMerchantAsync();
        await merchant.Merchant.SetWebhooksAsync(("collections_webhook_url", receiver.Url("/batches")));
        await merchant.ClockAsync("2027-10-05 09:00:00");
        var mandate = await merchant.DebtorAsync("1000000000");
        for (var i = 0; i < 5; i++) await merchant.PaymentAsync(mandate, "10", "once", "2027-10-05", $"BATCH-{i}");

        var run = await app.RunSubmissionAsync();
        Assert.Equal((5, 5), (run.Booked, run.Submitted));
        var batches = (await merchant.TransactionsAsync()).EnumerateArray()
            .GroupBy(t => t.Text("submission_batch_reference")).Select(g => g.Count()).Order();
        Assert.Equal([1, 2, 2], batches);
        await WebhookKit.UntilAsync(() => receiver.At("/batches").Count == 3, "three batched webhooks");
        var sizes = receiver.At("/batches")
            .Select(h => JsonDocument.Parse(h.Body).RootElement.GetProperty("transactions").GetArrayLength()).Order();
        Assert.Equal([1, 2, 2], sizes);
    }
}
