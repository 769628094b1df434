using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Payments;

/// <summary>An app on a moved clock (raises of the partition count take effect after a grace), with storage faults.</summary>
public sealed class PartitionApp : GatewayApp
{
    public PartitionApp()
    {
        Clock = new ManualClock(new DateTimeOffset(DateTimeOffset.UtcNow.Date.AddHours(8), TimeSpan.Zero));
        // A storage call that never succeeds gives up within seconds, not the default tests' thirty.
        Settings["Storage:Retry:AttemptTimeout"] = "00:00:02";
        Settings["Storage:Retry:OperationTimeout"] = "00:00:05";
    }

    public StorageFaultPolicy Faults { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => Faults.AddTo(services);
}

/// <summary>
/// Card payments of one organisation spread over its partitions (the last two digits of a transaction id), and every
/// way of finding and listing them fans out over all of them; a raise of the count keeps what was written before.
/// </summary>
public sealed class PartitionTests(PartitionApp app) : IClassFixture<PartitionApp>
{
    private static readonly DateTimeOffset Far = DateTimeOffset.MaxValue;

    [Fact]
    public async Task PaymentsSpreadOverTheDefaultPartitionsAndAreFoundAndListedInOrder()
    {
        using var merchant = await app.MerchantAsync();
        Assert.Equal(8, (await OrganisationAsync(merchant.Id)).PaymentPartitions.Count);
        var made = new List<System.Text.Json.JsonElement>();
        for (var i = 0; i < 40; i++) made.Add((await merchant.Client.PayAsync(reference: $"spread-{i % 4}")).Transaction());
        var ids = made.Select(t => t.Id()).ToList();
        var shards = ids.Select(PaymentRows.Shard).Distinct().ToList();
        Assert.True(shards.Count >= 4, $"40 payments landed in {shards.Count} partitions");
        Assert.All(shards, s => Assert.InRange(s, 0, 7));

        // Each is in its shard's partition, with its index rows and event.
        var tables = app.Service<GatewayTables>();
        foreach (var t in made.Take(8))
        {
            var partition = PaymentRows.TransactionPartition(merchant.Id, t.Id());
            Assert.NotNull(await tables.Payments.FindAsync(partition, PaymentRows.TransactionRow(t.Id())));
            Assert.NotNull(await tables.Payments.FindAsync(partition, PaymentRows.GatewayReferenceRow(t.Text("gateway_reference"))));
            Assert.Single(await app.EventsAsync(merchant.Id, t.Id()));
        }

        // Lists merge the partitions in id order, page by page with the usual tokens.
        var seen = new List<long>();
        for (var url = $"/api/v1/organisation/{merchant.Id}/gateway-transaction?limit=7"; url is not null;)
        {
            var page = await merchant.Client.GetAsync(url);
            seen.AddRange((await page.JsonAsync(200)).EnumerateArray().Select(t => t.Id()));
            url = page.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
        }
        Assert.Equal(ids.Order(), seen);

        // By merchant reference: the newest of the reference, whichever partition it is in.
        var newest = made.Where(t => t.Text("merchant_reference") == "spread-3").MaxBy(t => t.Id());
        var found = await (await merchant.Client.GetAsync("/api/v1/gateway-transaction?reference=spread-3")).JsonAsync(200);
        Assert.Equal(newest.Id(), found.Id());
        // By gateway reference (settle and reverse name transactions so), and by id.
        var authorised = (await merchant.Client.PayAsync(path: "auth")).Transaction();
        var settled = await (await merchant.Client.PutFormAsync("/api/v1/pay/settle",
            ("gateway_reference", authorised.Text("gateway_reference")))).JsonAsync(200);
        Assert.Equal(authorised.Id(), settled.Transaction().Id());
        Assert.Equal("complete", (await merchant.Client.ViewAsync(authorised.Id())).Text("status"));
    }

    [Fact]
    public async Task ARetryOfAKeyedPaymentReplaysFromItsPartitionAndAnotherBodyIs422()
    {
        using var merchant = await app.MerchantAsync();
        var bodies = new List<string>();
        var ids = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var key = $"spread-key-{i}-{Guid.NewGuid():N}";
            var first = await (await merchant.Client.SendAsync(Pay(key, "10.00"))).JsonAsync(200);
            var again = await merchant.Client.SendAsync(Pay(key, "10.00"));
            Assert.Equal("true", again.Headers.GetValues(Idempotency.ReplayedHeader).Single());
            Assert.Equal(first.Transaction().Id(), (await again.JsonAsync(200)).Transaction().Id());
            await (await merchant.Client.SendAsync(Pay(key, "11.00"))).ErrorAsync(422);
            ids.Add(first.Transaction().Id());
        }
        Assert.True(ids.Select(PaymentRows.Shard).Distinct().Count() > 1, "keyed payments all went to one partition");
        Assert.Equal(ids.Order(), await ListAsync(merchant));
    }

    [Fact]
    public async Task ARaiseKeepsEarlierPaymentsAndKeysAndSpreadsOnlyAfterItsGrace()
    {
        using var merchant = await app.MerchantAsync();
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        // Back to one partition is refused: counts only rise. So start from a new organisation made with one.
        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[payment_partitions]", "1")))
            .ErrorAsync(400);
        using var single = await app.MerchantAsync(partitions: 1);
        var before = new List<long>();
        var keys = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            keys.Add($"raise-{i}-{Guid.NewGuid():N}");
            before.Add((await (await single.Client.SendAsync(Pay(keys[^1], "10.00"))).JsonAsync(200)).Transaction().Id());
        }
        Assert.All(before, id => Assert.Equal(0, PaymentRows.Shard(id)));

        var raised = await (await operatorClient.PutFormAsync($"/api/v1/organisation/{single.Id}",
            ("Organisation[payment_partitions]", "6"))).JsonAsync(200);
        Assert.Equal(6, raised.GetProperty("payment_partitions").GetInt32());
        // A second raise waits for the first to take effect.
        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{single.Id}", ("Organisation[payment_partitions]", "8")))
            .ErrorAsync(409);
        // Within the grace new payments stay where every request still running may look for them.
        for (var i = 0; i < 5; i++) Assert.Equal(0, PaymentRows.Shard((await single.Client.PayAsync()).Transaction().Id()));

        app.Clock!.Advance(PaymentPartitions.ChangeGrace);
        var after = new List<long>();
        for (var i = 0; i < 30; i++) after.Add((await single.Client.PayAsync(reference: "after")).Transaction().Id());
        Assert.True(after.Select(PaymentRows.Shard).Distinct().Count() > 1, "after the grace payments still used one partition");
        // Retries of the keys used before the raise find their records where they were written: replayed, not paid again.
        for (var i = 0; i < keys.Count; i++)
        {
            var again = await single.Client.SendAsync(Pay(keys[i], "10.00"));
            Assert.Equal(before[i], (await again.JsonAsync(200)).Transaction().Id());
            Assert.Equal("true", again.Headers.GetValues(Idempotency.ReplayedHeader).Single());
            await (await single.Client.SendAsync(Pay(keys[i], "12.00"))).ErrorAsync(422);
        }
        var listed = await ListAsync(single);
        Assert.Equal(listed.Order(), listed);
        Assert.Equal(45, listed.Count);
        Assert.Subset(listed.ToHashSet(), before.Concat(after).ToHashSet());
        Assert.Equal(before[0], (await single.Client.ViewAsync(before[0])).Id());
    }

    [Fact]
    public async Task OnlyOperatorsRaiseTheCountAndBadCountsAre400()
    {
        using var merchant = await app.MerchantAsync();
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[payment_partitions]", "9")))
            .ErrorAsync(403);
        foreach (var bad in new[] { "0", "101", "-1", "8.5", "lots", "8" })
        {
            await (await operatorClient.PutFormAsync($"/api/v1/organisation/{merchant.Id}", ("Organisation[payment_partitions]", bad)))
                .ErrorAsync(400);
        }
        Assert.Equal(8, (await OrganisationAsync(merchant.Id)).PaymentPartitions.Count);
    }

    /// <summary>
    /// Just after a raise a key may be held in two shards at once by two requests that disagree on the count in
    /// effect. The later writer sees the other's hold when it checks after its own write, lets go and answers 409;
    /// nothing is charged twice.
    /// </summary>
    [Fact]
    public async Task AHoldMetInAnotherShardAfterTheWriteIsLetGo()
    {
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        using var single = await app.MerchantAsync(partitions: 1);
        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{single.Id}", ("Organisation[payment_partitions]", "8")))
            .JsonAsync(200);
        app.Clock!.Advance(PaymentPartitions.ChangeGrace);
        // A key that hashes away from shard 0 under eight partitions, so its two candidate shards differ.
        var key = Enumerable.Range(0, 100).Select(i => $"straddle-{i}-{Guid.NewGuid():N}").First(k => IdempotencyPlace.KeyShard(k, 8) != 0);
        var rival = new TableEntity(PaymentRows.ShardPartition(single.Id, 0), PaymentRows.IdempotencyRow(key))
        {
            ["State"] = "running", ["Holder"] = "rival", ["Fingerprint"] = "of-the-same-request",
            ["LeaseUntil"] = Far, ["Expires"] = Far, ["ReservedId"] = 1L,
        };
        // The rival (a request that still counted one partition) writes its hold just after ours (the first insert).
        var rivalWritten = false;
        app.Faults.AfterNext("POST", "/Payments", async () =>
        {
            rivalWritten = true;
            await app.Service<GatewayTables>().Payments.AddEntityAsync(rival);
        });
        var response = await single.Client.SendAsync(Pay(key, "10.00"));
        Assert.True(rivalWritten);
        Assert.Contains("still being processed", await response.ErrorAsync(409));
        var ours = await app.Service<PaymentStore>().GetIdempotencyAsync(single.Id, IdempotencyPlace.KeyShard(key, 8), key, CancellationToken.None);
        Assert.NotNull(ours);
        Assert.True(ours.LeaseUntil <= app.Clock.GetUtcNow(), "our hold was not let go");
        Assert.Empty(await ListAsync(single));
    }

    /// <summary>
    /// The protocol's steps failing while a key has two candidate shards: a hold whose answer is lost is recognised
    /// as the request's own; a check of the other shard that storage will not answer leaves the hold running (503),
    /// and once its lease lapses the retry takes it over with the reserved id, paying once.
    /// </summary>
    [Fact]
    public async Task EveryStepOfAHoldWithTwoCandidateShardsCanFailAndTheRetryPaysOnce()
    {
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        using var single = await app.MerchantAsync(partitions: 1);
        await (await operatorClient.PutFormAsync($"/api/v1/organisation/{single.Id}", ("Organisation[payment_partitions]", "8")))
            .JsonAsync(200);
        app.Clock!.Advance(PaymentPartitions.ChangeGrace);
        string KeyAwayFromHome() => Enumerable.Range(0, 100).Select(i => $"steps-{i}-{Guid.NewGuid():N}")
            .First(k => IdempotencyPlace.KeyShard(k, 8) != 0);

        // The hold lands but its answer is lost: the SDK's retry meets it, and the request knows it for its own.
        var lost = KeyAwayFromHome();
        app.Faults.LoseNext("POST", "/Payments");
        var paid = (await (await single.Client.SendAsync(Pay(lost, "10.00"))).JsonAsync(200)).Transaction();
        Assert.Equal(IdempotencyPlace.KeyShard(lost, 8), PaymentRows.Shard(paid.Id()));

        // The check of the home shard fails for as long as the call may take: 503, with the hold left running.
        var unchecked_ = KeyAwayFromHome();
        var homeRecord = PaymentRows.IdempotencyRow(unchecked_);
        app.Faults.Always(StorageFault.ServerBusy, r => r.Method.Method == "GET" && Uri.UnescapeDataString(r.Uri.Path).Contains(
            $"PartitionKey='{PaymentRows.Partition(single.Id)}',RowKey='{homeRecord}'", StringComparison.Ordinal)
            && HoldWritten(single.Id, unchecked_));
        await (await single.Client.SendAsync(Pay(unchecked_, "10.00"))).ErrorAsync(503);
        app.Faults.Clear();
        await (await single.Client.SendAsync(Pay(unchecked_, "10.00"))).ErrorAsync(409);
        app.Clock.Advance(new PaymentOptions().IdempotencyLease + TimeSpan.FromSeconds(1));
        var retried = (await (await single.Client.SendAsync(Pay(unchecked_, "10.00"))).JsonAsync(200)).Transaction();
        var again = await single.Client.SendAsync(Pay(unchecked_, "10.00"));
        Assert.Equal(retried.Id(), (await again.JsonAsync(200)).Transaction().Id());
        Assert.Equal([paid.Id(), retried.Id()], await ListAsync(single));
    }

    /// <summary>Whether the key's hold is in its shard yet (read past the app's faults, straight from the emulator).</summary>
    private bool HoldWritten(long organisationId, string key)
    {
        var row = new TableServiceClient(app.Azurite.ConnectionString).GetTableClient("Payments").GetEntityIfExists<TableEntity>(
            PaymentRows.ShardPartition(organisationId, IdempotencyPlace.KeyShard(key, 8)), PaymentRows.IdempotencyRow(key));
        return row.HasValue;
    }

    private async Task<Organisation> OrganisationAsync(long id) =>
        (await app.Service<IdentityStore>().GetOrganisationAsync(id, CancellationToken.None))!;

    private static HttpRequestMessage Pay(string key, string amount) =>
        PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/pay/direct", PaymentKit.Card(amount: amount)).WithKey(key);

    private static async Task<List<long>> ListAsync(Merchant merchant) =>
        [.. (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}/gateway-transaction")).JsonAsync(200))
            .EnumerateArray().Select(t => t.Id())];
}
