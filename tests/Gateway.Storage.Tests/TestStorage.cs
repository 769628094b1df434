using Gateway.Testing;

namespace Gateway.Storage.Tests;

/// <summary>Clients against the shared Azurite, and unique names so that tests can run in parallel.</summary>
internal static class TestStorage
{
    private static readonly HttpClient Http = new();

    /// <summary>Retries that don't wait, so fault tests stay fast.</summary>
    public static StorageRetryOptions NoWait() => new() { BaseDelay = TimeSpan.Zero };

    public static async Task<StorageAccount> AccountAsync() => StorageAccount.Parse((await Azurite.SharedAsync()).ConnectionString);

    public static async Task<TableServiceClient> TablesAsync(HttpClient? http = null, StorageRetryOptions? retry = null, TimeProvider? time = null) =>
        new(http ?? Http, await AccountAsync(), retry ?? NoWait(), time);

    public static async Task<QueueServiceClient> QueuesAsync(HttpClient? http = null, StorageRetryOptions? retry = null, TimeProvider? time = null) =>
        new(http ?? Http, await AccountAsync(), retry ?? NoWait(), time);

    public static async Task<TableClient> NewTableAsync()
    {
        var table = (await TablesAsync()).GetTableClient(UniqueTableName());
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<QueueClient> NewQueueAsync()
    {
        var queue = (await QueuesAsync()).GetQueueClient(UniqueQueueName());
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    public static string UniqueTableName() => "t" + Guid.NewGuid().ToString("N");

    public static string UniqueQueueName() => "q-" + Guid.NewGuid().ToString("N");

    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }
        return list;
    }
}
