namespace Gateway.Storage.Tests;

public sealed class TableEntityTests
{
    private const string AwkwardKey = "O'Brien +50% Zoë 東京";

    [Fact]
    public async Task CreateIfNotExistsTwiceSucceeds()
    {
        var table = (await TestStorage.TablesAsync()).GetTableClient(TestStorage.UniqueTableName());

        await table.CreateIfNotExistsAsync();
        await table.CreateIfNotExistsAsync();

        Assert.Null(await table.GetAsync("p", "r"));
    }

    [Fact]
    public async Task EveryPropertyTypeRoundTrips()
    {
        var table = await TestStorage.NewTableAsync();
        var when = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(2)).AddTicks(1234567);
        var id = Guid.NewGuid();
        var entity = new TableEntity("p", "r")
        {
            ["Text"] = "héllo wörld – 東京 🚀 'quoted' \"double\" \n newline",
            ["Small"] = -42,
            ["Big"] = (1L << 53) + 1,
            ["Fraction"] = 3.25,
            ["Whole"] = 2.0,
            ["Flag"] = true,
            ["When"] = when,
            ["Id"] = id,
            ["Bytes"] = new byte[] { 0, 1, 2, 254, 255 },
        };

        var insert = await table.InsertAsync(entity);
        var read = await table.GetAsync("p", "r");

        Assert.True(insert.IsSuccess);
        Assert.NotNull(read);
        Assert.Equal(insert.ETag, read.ETag);
        Assert.NotNull(read.Timestamp);
        Assert.Equal(entity["Text"], read.GetString("Text"));
        Assert.IsType<int>(read["Small"]);
        Assert.Equal(-42, read.GetInt32("Small"));
        Assert.IsType<long>(read["Big"]);
        Assert.Equal((1L << 53) + 1, read.GetInt64("Big"));
        Assert.Equal(3.25, read.GetDouble("Fraction"));
        Assert.IsType<double>(read["Whole"]);
        Assert.Equal(2.0, read.GetDouble("Whole"));
        Assert.True(read.GetBoolean("Flag"));
        Assert.Equal(when, read.GetDateTimeOffset("When"));
        Assert.Equal(TimeSpan.Zero, read.GetDateTimeOffset("When")!.Value.Offset);
        Assert.Equal(id, read.GetGuid("Id"));
        Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, read.GetBinary("Bytes"));
        Assert.Equal(9, read.Properties.Count);
    }

    [Fact]
    public async Task GetWithSelectReturnsOnlyThoseProperties()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = 1 });

        var read = await table.GetAsync("p", "r", ["B"]);

        Assert.NotNull(read);
        Assert.Equal(("p", "r"), (read.PartitionKey, read.RowKey));
        Assert.Equal(1, read.GetInt32("B"));
        Assert.Null(read["A"]);
    }

    [Fact]
    public async Task AwkwardKeysWorkThroughEveryOperation()
    {
        var table = await TestStorage.NewTableAsync();
        var entity = new TableEntity(AwkwardKey, "row " + AwkwardKey) { ["V"] = 1 };
        var pk = entity.PartitionKey;
        var rk = entity.RowKey;

        Assert.True((await table.InsertAsync(entity)).IsSuccess);
        Assert.Equal(1, (await table.GetAsync(pk, rk))!.GetInt32("V"));

        entity["V"] = 2;
        Assert.True((await table.ReplaceAsync(entity, "*")).IsSuccess);
        Assert.True((await table.MergeAsync(new TableEntity(pk, rk) { ["W"] = "w" }, "*")).IsSuccess);
        var merged = await table.GetAsync(pk, rk);
        Assert.Equal((2, "w"), (merged!.GetInt32("V"), merged.GetString("W")));

        var queried = await table.QueryAsync(new TableQuery(TableFilter.PartitionKeyEquals(pk).And(TableFilter.Equal("RowKey", rk)))).ToListAsync();
        Assert.Equal(rk, Assert.Single(queried).RowKey);

        var batch = await table.SubmitBatchAsync(
        [
            TableOperation.UpsertMerge(new TableEntity(pk, rk) { ["X"] = true }),
            TableOperation.Insert(new TableEntity(pk, "second " + AwkwardKey)),
        ]);
        Assert.True(batch.Succeeded);
        Assert.True((await table.GetAsync(pk, rk))!.GetBoolean("X"));
        Assert.NotNull(await table.GetAsync(pk, "second " + AwkwardKey));

        Assert.True((await table.DeleteAsync(pk, rk)).IsSuccess);
        Assert.Null(await table.GetAsync(pk, rk));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\tb")]
    [InlineData("a\u007fb")]
    [InlineData("a\u0085b")]
    public async Task InvalidKeyCharactersAreRejected(string key)
    {
        var table = (await TestStorage.TablesAsync()).GetTableClient(TestStorage.UniqueTableName());

        Assert.Throws<ArgumentException>(() => new TableEntity(key, "r"));
        Assert.Throws<ArgumentException>(() => new TableEntity("p", key));
        await Assert.ThrowsAsync<ArgumentException>(() => table.GetAsync("p", key));
        await Assert.ThrowsAsync<ArgumentException>(() => table.DeleteAsync(key, "r"));
        Assert.Throws<ArgumentException>(() => TableOperation.Delete(key, "r"));
    }

    [Fact]
    public async Task KeysAtTheLengthLimitWorkAndLongerOnesAreRejected()
    {
        var table = await TestStorage.NewTableAsync();
        var longest = new string('k', 512);

        Assert.True((await table.InsertAsync(new TableEntity(longest, longest))).IsSuccess);
        Assert.NotNull(await table.GetAsync(longest, longest));
        Assert.Throws<ArgumentException>(() => new TableEntity(longest + "k", "r"));
    }

    [Theory]
    [InlineData("PartitionKey")]
    [InlineData("RowKey")]
    [InlineData("Timestamp")]
    [InlineData("1st")]
    [InlineData("has-dash")]
    [InlineData("has space")]
    [InlineData("")]
    public void InvalidPropertyNamesAreRejected(string name)
    {
        var entity = new TableEntity("p", "r");

        Assert.Throws<ArgumentException>(() => entity[name] = "x");
    }

    [Fact]
    public void UnsupportedValueTypesAreRejectedAndNullRemoves()
    {
        var entity = new TableEntity("p", "r") { ["_ok9"] = "x", ["Amount"] = 5 };

        Assert.Throws<ArgumentException>(() => entity["D"] = 1.5m);
        Assert.Throws<ArgumentException>(() => entity["D"] = DateTime.UtcNow);
        entity["Amount"] = null;

        Assert.Equal(["_ok9"], entity.Properties.Keys);
        Assert.Throws<InvalidCastException>(() => entity.GetInt32("_ok9"));
    }

    [Fact]
    public async Task TableNamesAreValidated()
    {
        var service = await TestStorage.TablesAsync();

        Assert.Throws<ArgumentException>(() => service.GetTableClient("ab"));
        Assert.Throws<ArgumentException>(() => service.GetTableClient("1abc"));
        Assert.Throws<ArgumentException>(() => service.GetTableClient("has-dash"));
        Assert.Throws<ArgumentException>(() => service.GetTableClient(new string('a', 64)));
        Assert.Equal("Abc", service.GetTableClient("Abc").Name);
    }
}
