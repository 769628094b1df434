using System.Text;

namespace Gateway.Storage.Tests;

public sealed class QueueTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task CreateIfNotExistsTwiceSucceeds()
    {
        var queue = (await TestStorage.QueuesAsync()).GetQueueClient(TestStorage.UniqueQueueName());

        await queue.CreateIfNotExistsAsync();
        await queue.CreateIfNotExistsAsync();

        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task MessageRoundTripsAsBase64WithUnicodeAndXmlSpecialCharacters()
    {
        var queue = await TestStorage.NewQueueAsync();
        const string text = "{\"order\":\"<A&B> 'quoted' \\\"double\\\"\",\"city\":\"Zoë 東京 🚀\"} ]]> &amp;";

        var sent = await queue.SendAsync(text);
        var received = Assert.Single(await queue.ReceiveAsync(32, TimeSpan.FromMinutes(1)));

        Assert.Equal(sent.MessageId, received.MessageId);
        Assert.Equal(text, received.Text);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), received.RawText);
        Assert.Equal(1, received.DequeueCount);
        Assert.NotNull(received.PopReceipt);
        Assert.True(received.NextVisibleTime > received.InsertionTime);
        Assert.True(await queue.DeleteAsync(received.MessageId, received.PopReceipt));
        Assert.False(await queue.DeleteAsync(received.MessageId, received.PopReceipt));
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task UnencodedTextThatIsNotBase64HasNoText()
    {
        var queue = await TestStorage.NewQueueAsync();
        const string raw = "plain <text> & not base64!";

        await queue.SendAsync(raw, encoding: QueueMessageEncoding.None);
        var peeked = Assert.Single(await queue.PeekAsync(1));

        Assert.Equal(raw, peeked.RawText);
        Assert.Null(peeked.Text);
        Assert.Null(peeked.PopReceipt);
        Assert.Null(peeked.NextVisibleTime);
        Assert.Equal(0, peeked.DequeueCount);
    }

    [Fact]
    public async Task VisibilityDelayHidesTheMessageUntilItIsMadeVisible()
    {
        var queue = await TestStorage.NewQueueAsync();

        var sent = await queue.SendAsync("later", visibilityDelay: TimeSpan.FromHours(1));

        Assert.True(sent.NextVisibleTime >= sent.InsertionTime.AddMinutes(59));
        Assert.Equal(1, await queue.GetApproximateCountAsync());
        Assert.Empty(await queue.ReceiveAsync(32, TimeSpan.FromSeconds(30)));
        Assert.Empty(await queue.PeekAsync(32));

        var update = await queue.UpdateVisibilityAsync(sent.MessageId, sent.PopReceipt, TimeSpan.Zero);
        Assert.NotNull(update);
        var received = await ReceiveWithinDeadlineAsync(queue);
        Assert.Equal("later", received.Text);
    }

    [Fact]
    public async Task ShortVisibilityDelayElapses()
    {
        var queue = await TestStorage.NewQueueAsync();

        await queue.SendAsync("soon", visibilityDelay: TimeSpan.FromSeconds(1));

        Assert.Empty(await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Equal("soon", (await ReceiveWithinDeadlineAsync(queue)).Text);
    }

    [Fact]
    public async Task RedeliveryIncrementsDequeueCount()
    {
        var queue = await TestStorage.NewQueueAsync();
        await queue.SendAsync("again");

        var first = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromSeconds(1)));
        var second = await ReceiveWithinDeadlineAsync(queue);

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal((1, 2), (first.DequeueCount, second.DequeueCount));
        Assert.NotEqual(first.PopReceipt, second.PopReceipt);
    }

    [Fact]
    public async Task UpdateVisibilityIssuesANewPopReceiptAndInvalidatesTheOldOne()
    {
        var queue = await TestStorage.NewQueueAsync();
        await queue.SendAsync("work");
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1)));

        var update = await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt!, TimeSpan.FromMinutes(5));

        Assert.NotNull(update);
        Assert.NotEqual(message.PopReceipt, update.PopReceipt);
        Assert.True(update.NextVisibleTime > DateTimeOffset.UtcNow.AddMinutes(4));
        Assert.False(await queue.DeleteAsync(message.MessageId, message.PopReceipt!));
        Assert.Null(await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt!, TimeSpan.Zero));
        Assert.True(await queue.DeleteAsync(message.MessageId, update.PopReceipt));
    }

    [Fact]
    public async Task ApproximateCountAndClear()
    {
        var queue = await TestStorage.NewQueueAsync();

        for (var i = 0; i < 3; i++)
        {
            await queue.SendAsync($"m{i}");
        }
        var before = await queue.GetApproximateCountAsync();
        await queue.ClearAsync();

        Assert.Equal(3, before);
        Assert.Equal(0, await queue.GetApproximateCountAsync());
    }

    [Fact]
    public async Task TimeToLiveIsAccepted()
    {
        var queue = await TestStorage.NewQueueAsync();

        var shortLived = await queue.SendAsync("short", timeToLive: TimeSpan.FromMinutes(2));
        var forever = await queue.SendAsync("forever", timeToLive: Timeout.InfiniteTimeSpan);
        var standard = await queue.SendAsync("default");

        Assert.Equal(TimeSpan.FromMinutes(2), shortLived.ExpirationTime - shortLived.InsertionTime);
        Assert.Equal(9999, forever.ExpirationTime.Year);
        Assert.Equal(TimeSpan.FromDays(7), standard.ExpirationTime - standard.InsertionTime);
        Assert.Equal(3, (await queue.PeekAsync(32)).Count);
    }

    [Fact]
    public async Task OversizedMessagesAreRejectedBeforeSending()
    {
        var queue = await TestStorage.NewQueueAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => queue.SendAsync(new string('a', 49_153)));
        await Assert.ThrowsAsync<ArgumentException>(() => queue.SendAsync(new string('a', 65_537), encoding: QueueMessageEncoding.None));
        var largest = await queue.SendAsync(new string('a', 49_152));
        Assert.NotNull(largest.MessageId);
    }

    [Fact]
    public async Task ArgumentsOutsideTheServiceLimitsAreRejected()
    {
        var queue = await TestStorage.NewQueueAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveAsync(0, TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveAsync(33, TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReceiveAsync(1, TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendAsync("x", visibilityDelay: TimeSpan.FromDays(8)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.SendAsync("x", timeToLive: TimeSpan.Zero));
    }

    [Fact]
    public async Task MissingQueueThrowsInsteadOfReportingAStaleReceipt()
    {
        var queue = (await TestStorage.QueuesAsync()).GetQueueClient(TestStorage.UniqueQueueName());

        var error = await Assert.ThrowsAsync<StorageException>(() => queue.DeleteAsync("id", "receipt"));

        Assert.Equal((404, "QueueNotFound"), (error.Status, error.ErrorCode));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("-start")]
    [InlineData("end-")]
    [InlineData("double--dash")]
    [InlineData("under_score")]
    public async Task InvalidQueueNamesAreRejected(string name)
    {
        var service = await TestStorage.QueuesAsync();

        Assert.Throws<ArgumentException>(() => service.GetQueueClient(name));
    }

    private static async Task<QueueMessage> ReceiveWithinDeadlineAsync(QueueClient queue)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var messages = await queue.ReceiveAsync(1, TimeSpan.FromMinutes(1), deadline.Token);
            if (messages.Count > 0)
            {
                return messages[0];
            }
            // Polling interval, not a wait for an outcome: the deadline bounds the test.
            await Task.Delay(50, deadline.Token);
        }
    }
}
