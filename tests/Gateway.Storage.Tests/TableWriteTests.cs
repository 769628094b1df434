namespace Gateway.Storage.Tests;

public sealed class TableWriteTests
{
    [Fact]
    public async Task DuplicateInsertIsAConflict()
    {
        var table = await TestStorage.NewTableAsync();

        var first = await table.InsertAsync(new TableEntity("p", "r"));
        var second = await table.InsertAsync(new TableEntity("p", "r"));

        Assert.Equal(TableStatus.Success, first.Status);
        Assert.StartsWith("W/", first.ETag, StringComparison.Ordinal);
        Assert.Equal(new TableWriteResult(TableStatus.Conflict, null), second);
        Assert.False(second.IsSuccess);
    }

    [Fact]
    public async Task StaleETagFailsReplaceMergeAndDeleteWhileTheCurrentOneSucceeds()
    {
        var table = await TestStorage.NewTableAsync();
        var stale = (await table.InsertAsync(new TableEntity("p", "r") { ["V"] = 1 })).ETag!;
        var current = (await table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 2 }, stale)).ETag!;

        Assert.Equal(TableStatus.PreconditionFailed, (await table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 3 }, stale)).Status);
        Assert.Equal(TableStatus.PreconditionFailed, (await table.MergeAsync(new TableEntity("p", "r") { ["V"] = 3 }, stale)).Status);
        Assert.Equal(TableStatus.PreconditionFailed, (await table.DeleteAsync("p", "r", stale)).Status);
        Assert.Equal(2, (await table.GetAsync("p", "r"))!.GetInt32("V"));

        var merged = await table.MergeAsync(new TableEntity("p", "r") { ["V"] = 4 }, current);
        Assert.True(merged.IsSuccess);
        Assert.NotEqual(current, merged.ETag);
        Assert.True((await table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 5 }, "*")).IsSuccess);
        Assert.True((await table.MergeAsync(new TableEntity("p", "r") { ["V"] = 6 }, "*")).IsSuccess);
        var latest = (await table.GetAsync("p", "r"))!;
        Assert.Equal(6, latest.GetInt32("V"));
        Assert.True((await table.DeleteAsync("p", "r", latest.ETag!)).IsSuccess);
    }

    [Fact]
    public async Task MissingEntityIsNotFound()
    {
        var table = await TestStorage.NewTableAsync();

        Assert.Equal(TableStatus.NotFound, (await table.ReplaceAsync(new TableEntity("p", "gone"), "*")).Status);
        Assert.Equal(TableStatus.NotFound, (await table.MergeAsync(new TableEntity("p", "gone"), "*")).Status);
        Assert.Equal(TableStatus.NotFound, (await table.DeleteAsync("p", "gone")).Status);
        Assert.Null(await table.GetAsync("p", "gone"));
    }

    [Fact]
    public async Task MissingTableThrowsRatherThanLookingLikeAMissingEntity()
    {
        var table = (await TestStorage.TablesAsync()).GetTableClient(TestStorage.UniqueTableName());

        var get = await Assert.ThrowsAsync<StorageException>(() => table.GetAsync("p", "r"));
        var delete = await Assert.ThrowsAsync<StorageException>(() => table.DeleteAsync("p", "r"));

        Assert.Equal((404, "TableNotFound"), (get.Status, get.ErrorCode));
        Assert.Equal((404, "TableNotFound"), (delete.Status, delete.ErrorCode));
    }

    [Fact]
    public async Task UpsertReplaceInsertsThenReplacesWholeEntity()
    {
        var table = await TestStorage.NewTableAsync();

        var first = await table.UpsertReplaceAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" });
        var second = await table.UpsertReplaceAsync(new TableEntity("p", "r") { ["A"] = "a2" });

        var read = (await table.GetAsync("p", "r"))!;
        Assert.NotEqual(first, second);
        Assert.Equal(second, read.ETag);
        Assert.Equal("a2", read.GetString("A"));
        Assert.Null(read["B"]);
    }

    [Fact]
    public async Task UpsertMergeInsertsThenKeepsUntouchedProperties()
    {
        var table = await TestStorage.NewTableAsync();

        await table.UpsertMergeAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" });
        var etag = await table.UpsertMergeAsync(new TableEntity("p", "r") { ["A"] = "a2", ["C"] = 3L });

        var read = (await table.GetAsync("p", "r"))!;
        Assert.Equal(etag, read.ETag);
        Assert.Equal(("a2", "b", 3L), (read.GetString("A"), read.GetString("B"), read.GetInt64("C")));
    }

    [Fact]
    public async Task MergeKeepsUntouchedPropertiesWhileReplaceDropsThem()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "r") { ["Keep"] = "k", ["Change"] = 1 });

        await table.MergeAsync(new TableEntity("p", "r") { ["Change"] = 2 }, "*");
        var merged = (await table.GetAsync("p", "r"))!;
        await table.ReplaceAsync(new TableEntity("p", "r") { ["Change"] = 3 }, "*");
        var replaced = (await table.GetAsync("p", "r"))!;

        Assert.Equal(("k", 2), (merged.GetString("Keep"), merged.GetInt32("Change")));
        Assert.Null(replaced["Keep"]);
        Assert.Equal(3, replaced.GetInt32("Change"));
    }
}
