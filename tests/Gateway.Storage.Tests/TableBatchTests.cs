namespace Gateway.Storage.Tests;

public sealed class TableBatchTests
{
    [Fact]
    public async Task SuccessfulBatchReturnsOneETagPerOperation()
    {
        var table = await TestStorage.NewTableAsync();
        var existing = (await table.InsertAsync(new TableEntity("p", "replace") { ["V"] = 1 })).ETag!;
        await table.InsertAsync(new TableEntity("p", "merge") { ["Keep"] = "k" });
        await table.InsertAsync(new TableEntity("p", "delete"));

        var result = await table.SubmitBatchAsync(
        [
            TableOperation.Insert(new TableEntity("p", "insert") { ["V"] = 1 }),
            TableOperation.Replace(new TableEntity("p", "replace") { ["V"] = 2 }, existing),
            TableOperation.Merge(new TableEntity("p", "merge") { ["V"] = 3 }, "*"),
            TableOperation.UpsertReplace(new TableEntity("p", "upsert-replace") { ["V"] = 4 }),
            TableOperation.UpsertMerge(new TableEntity("p", "upsert-merge") { ["V"] = 5 }),
            TableOperation.Delete("p", "delete"),
        ]);

        Assert.True(result.Succeeded);
        Assert.Null(result.FailedIndex);
        Assert.Null(result.FailedStatus);
        Assert.Equal(6, result.ETags.Count);
        Assert.All(result.ETags.Take(5), etag => Assert.StartsWith("W/", etag, StringComparison.Ordinal));
        Assert.Null(result.ETags[5]);
        Assert.Equal(result.ETags[0], (await table.GetAsync("p", "insert"))!.ETag);
        Assert.Equal(2, (await table.GetAsync("p", "replace"))!.GetInt32("V"));
        var merged = (await table.GetAsync("p", "merge"))!;
        Assert.Equal(("k", 3), (merged.GetString("Keep"), merged.GetInt32("V")));
        Assert.Null(await table.GetAsync("p", "delete"));
    }

    [Fact]
    public async Task DuplicateInsertRollsBackTheWholeBatch()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "3") { ["Original"] = true });

        var result = await table.SubmitBatchAsync(
        [
            TableOperation.Insert(new TableEntity("p", "1")),
            TableOperation.Insert(new TableEntity("p", "2")),
            TableOperation.Insert(new TableEntity("p", "3")),
            TableOperation.Insert(new TableEntity("p", "4")),
            TableOperation.Insert(new TableEntity("p", "5")),
        ]);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.FailedIndex);
        Assert.Equal(TableStatus.Conflict, result.FailedStatus);
        Assert.Equal("EntityAlreadyExists", result.ErrorCode);
        Assert.Empty(result.ETags);
        foreach (var rowKey in new[] { "1", "2", "4", "5" })
        {
            Assert.Null(await table.GetAsync("p", rowKey));
        }
        Assert.True((await table.GetAsync("p", "3"))!.GetBoolean("Original"));
    }

    [Fact]
    public async Task StaleETagFailsTheBatchWithItsIndex()
    {
        var table = await TestStorage.NewTableAsync();
        var stale = (await table.InsertAsync(new TableEntity("p", "a") { ["V"] = 1 })).ETag!;
        await table.ReplaceAsync(new TableEntity("p", "a") { ["V"] = 2 }, "*");

        var result = await table.SubmitBatchAsync(
        [
            TableOperation.UpsertMerge(new TableEntity("p", "b") { ["V"] = 1 }),
            TableOperation.Replace(new TableEntity("p", "a") { ["V"] = 3 }, stale),
        ]);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.FailedIndex);
        Assert.Equal(TableStatus.PreconditionFailed, result.FailedStatus);
        Assert.Null(await table.GetAsync("p", "b"));
        Assert.Equal(2, (await table.GetAsync("p", "a"))!.GetInt32("V"));
    }

    [Fact]
    public async Task MissingEntityFailsTheBatchAsNotFound()
    {
        var table = await TestStorage.NewTableAsync();

        var result = await table.SubmitBatchAsync(
        [
            TableOperation.Insert(new TableEntity("p", "new")),
            TableOperation.Delete("p", "missing"),
        ]);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.FailedIndex);
        Assert.Equal(TableStatus.NotFound, result.FailedStatus);
        Assert.Null(await table.GetAsync("p", "new"));
    }

    [Fact]
    public async Task InvalidBatchesAreRejectedBeforeSending()
    {
        var table = await TestStorage.NewTableAsync();
        var tooMany = Enumerable.Range(0, 101).Select(i => TableOperation.Insert(new TableEntity("p", $"{i}"))).ToList();

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync(tooMany));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync(
            [TableOperation.Insert(new TableEntity("p", "1")), TableOperation.Insert(new TableEntity("q", "2"))]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitBatchAsync(
            [TableOperation.Insert(new TableEntity("p", "1")), TableOperation.Delete("p", "1")]));
    }

    [Fact]
    public async Task HundredOperationsFitInOneBatch()
    {
        var table = await TestStorage.NewTableAsync();
        var operations = Enumerable.Range(0, 100).Select(i => TableOperation.Insert(new TableEntity("p", $"{i:D3}") { ["N"] = i })).ToList();

        var result = await table.SubmitBatchAsync(operations);

        Assert.True(result.Succeeded);
        Assert.Equal(100, (await table.QueryAsync(new TableQuery(TableFilter.PartitionKeyEquals("p"))).ToListAsync()).Count);
    }
}
