using System.Globalization;

namespace Gateway.Storage.Tests;

public sealed class TableQueryTests
{
    [Fact]
    public async Task FilterSelectAndTopShapeTheResults()
    {
        var table = await TestStorage.NewTableAsync();
        for (var i = 0; i < 10; i++)
        {
            await table.InsertAsync(new TableEntity("p", $"r{i}") { ["N"] = i, ["Big"] = 10_000_000_000L + i, ["Extra"] = "x" });
        }
        await table.InsertAsync(new TableEntity("other", "r0") { ["N"] = 100 });

        var filter = TableFilter.PartitionKeyEquals("p")
            .And(TableFilter.GreaterThanOrEqual("N", 3))
            .And(TableFilter.LessThan("Big", 10_000_000_008L));
        var all = await table.QueryAsync(new TableQuery(filter, ["N"])).ToListAsync();
        var page = await table.QueryPageAsync(new TableQuery(filter, Top: 2));

        Assert.Equal([3, 4, 5, 6, 7], all.Select(e => e.GetInt32("N")!.Value));
        Assert.All(all, e => Assert.Equal(["N"], e.Properties.Keys));
        Assert.All(all, e => Assert.Equal("p", e.PartitionKey));
        Assert.All(all, e => Assert.NotNull(e.ETag));
        Assert.Equal(["r3", "r4"], page.Entities.Select(e => e.RowKey));
        Assert.NotNull(page.Continuation);
    }

    [Fact]
    public async Task TopIsAPageSizeSoQueryAsyncStillReturnsEverything()
    {
        var table = await TestStorage.NewTableAsync();
        await InsertRowsAsync(table, "p", 7);

        var all = await table.QueryAsync(new TableQuery(Top: 3)).ToListAsync();

        Assert.Equal(7, all.Count);
    }

    [Fact]
    public async Task PagingOverMoreThanAThousandEntitiesReturnsThemAllAndTokensResumeExactly()
    {
        var table = await TestStorage.NewTableAsync();
        await InsertRowsAsync(table, "a", 600);
        await InsertRowsAsync(table, "b", 550);
        var expected = Enumerable.Range(0, 600).Select(i => $"a/{i:D4}")
            .Concat(Enumerable.Range(0, 550).Select(i => $"b/{i:D4}")).ToList();

        var all = await table.QueryAsync(new TableQuery()).ToListAsync();
        Assert.Equal(expected, all.Select(e => $"{e.PartitionKey}/{e.RowKey}"));

        var pages = new List<TablePage>();
        string? token = null;
        do
        {
            // Round-trip through the client-facing token, as an API handing pages to merchants would.
            var continuation = token is null ? null : TableContinuation.FromToken(token);
            var page = await table.QueryPageAsync(new TableQuery(), continuation);
            pages.Add(page);
            token = page.Continuation?.ToToken();
        }
        while (token is not null);

        Assert.True(pages.Count >= 2);
        Assert.True(pages[0].Entities.Count <= 1000);
        Assert.Equal(expected, pages.SelectMany(p => p.Entities).Select(e => $"{e.PartitionKey}/{e.RowKey}"));
    }

    [Fact]
    public async Task QuoteInjectionInAFilterValueMatchesNothingExtra()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "1") { ["Name"] = "alice" });
        await table.InsertAsync(new TableEntity("p", "2") { ["Name"] = "x' or PartitionKey ne '" });
        const string hostile = "x' or PartitionKey ne '";

        var filter = TableFilter.Equal("Name", hostile);
        var found = await table.QueryAsync(new TableQuery(filter)).ToListAsync();
        var none = await table.QueryAsync(new TableQuery(TableFilter.Equal("Name", "nobody' or PartitionKey ne '"))).ToListAsync();

        Assert.Equal("Name eq 'x'' or PartitionKey ne '''", filter.ToString());
        Assert.Equal("2", Assert.Single(found).RowKey);
        Assert.Empty(none);
    }

    [Fact]
    public async Task RowKeyStartsWithMatchesThePrefixOnly()
    {
        var table = await TestStorage.NewTableAsync();
        foreach (var rowKey in new[] { "ord", "ord-1", "ord-2", "ord.", "ore", "or", "pay-1" })
        {
            await table.InsertAsync(new TableEntity("p", rowKey));
        }

        var found = await table.QueryAsync(new TableQuery(TableFilter.PartitionKeyEquals("p").And(TableFilter.RowKeyStartsWith("ord-")))).ToListAsync();

        Assert.Equal(["ord-1", "ord-2"], found.Select(e => e.RowKey));
    }

    [Fact]
    public async Task NotOrAndTypedLiteralsQueryTheService()
    {
        var table = await TestStorage.NewTableAsync();
        var id = Guid.NewGuid();
        var when = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
        await table.InsertAsync(new TableEntity("p", "1") { ["Id"] = id, ["When"] = when, ["Ok"] = true, ["D"] = 2.0 });
        await table.InsertAsync(new TableEntity("p", "2") { ["Id"] = Guid.NewGuid(), ["When"] = when.AddDays(1), ["Ok"] = false, ["D"] = 2.5 });

        async Task<string[]> Rows(TableFilter filter) =>
            [.. (await table.QueryAsync(new TableQuery(filter)).ToListAsync()).Select(e => e.RowKey)];

        Assert.Equal(["1"], await Rows(TableFilter.Equal("Id", id)));
        Assert.Equal(["2"], await Rows(TableFilter.GreaterThan("When", when)));
        Assert.Equal(["2"], await Rows(TableFilter.Not(TableFilter.Equal("Ok", true))));
        Assert.Equal(["1"], await Rows(TableFilter.Equal("D", 2.0)));
        Assert.Equal(["1", "2"], await Rows(TableFilter.Equal("D", 2.0).Or(TableFilter.GreaterThan("D", 2.4))));
    }

    [Fact]
    public void FilterLiteralsAreTyped()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var when = new DateTimeOffset(2024, 1, 2, 5, 4, 5, TimeSpan.FromHours(2));

        Assert.Equal("A eq 5", TableFilter.Equal("A", 5).ToString());
        Assert.Equal("A ne 5L", TableFilter.NotEqual("A", 5L).ToString());
        Assert.Equal("A gt 2.0", TableFilter.GreaterThan("A", 2.0).ToString());
        Assert.Equal("A ge 2.5", TableFilter.GreaterThanOrEqual("A", 2.5).ToString());
        Assert.Equal("A lt true", TableFilter.LessThan("A", true).ToString());
        Assert.Equal("A le datetime'2024-01-02T03:04:05.0000000Z'", TableFilter.LessThanOrEqual("A", when).ToString());
        Assert.Equal($"A eq guid'{id}'", TableFilter.Equal("A", id).ToString());
        Assert.Equal("not ((A eq 1) or (B eq 'b'))", TableFilter.Not(TableFilter.Equal("A", 1).Or(TableFilter.Equal("B", "b"))).ToString());
        Assert.Equal("(RowKey ge 'ab') and (RowKey lt 'ac')", TableFilter.RowKeyStartsWith("ab").ToString());
        Assert.Throws<ArgumentException>(() => TableFilter.RowKeyStartsWith(""));
        Assert.Throws<ArgumentException>(() => TableFilter.Equal("A eq 1 or B", "x"));
        Assert.Throws<ArgumentException>(() => TableFilter.Equal("A", double.NaN));
    }

    [Theory]
    [InlineData("1!8!cGFydA--", "1!8!cm93")]
    [InlineData("1!8!cGFydA--", null)]
    [InlineData("Zoë 東京", "")]
    public void ContinuationTokensRoundTrip(string partition, string? row)
    {
        var continuation = new TableContinuation(partition, row);

        var token = continuation.ToToken();

        Assert.Matches("^[A-Za-z0-9_.-]+$", token);
        Assert.Equal(continuation, TableContinuation.FromToken(token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("!!!")]
    [InlineData("a.b.c")]
    [InlineData(".cm93")]
    [InlineData("_w")]
    [InlineData("AA")]
    public void MalformedContinuationTokensAreNull(string token)
    {
        Assert.Null(TableContinuation.FromToken(token));
        Assert.Null(TableContinuation.FromToken(new string('A', 5000)));
    }

    private static async Task InsertRowsAsync(TableClient table, string partitionKey, int count)
    {
        for (var start = 0; start < count; start += 100)
        {
            var operations = Enumerable.Range(start, Math.Min(100, count - start))
                .Select(i => TableOperation.Insert(new TableEntity(partitionKey, i.ToString("D4", CultureInfo.InvariantCulture)) { ["N"] = i }))
                .ToList();
            Assert.True((await table.SubmitBatchAsync(operations)).Succeeded);
        }
    }
}
