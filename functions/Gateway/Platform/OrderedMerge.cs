using System.Runtime.CompilerServices;

namespace Gateway.Platform;

/// <summary>Merges streams that are each in key order into one in key order, reading each only as far as needed.</summary>
public static class OrderedMerge
{
    public static async IAsyncEnumerable<T> ByAsync<T>(IEnumerable<IAsyncEnumerable<T>> streams, Func<T, long> key,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var readers = streams.Select(s => s.GetAsyncEnumerator(cancellationToken)).ToList();
        try
        {
            // The first row of every stream is asked for at once, so partitions are queried in parallel.
            var heads = new PriorityQueue<IAsyncEnumerator<T>, long>();
            var started = await Task.WhenAll(readers.Select(r => r.MoveNextAsync().AsTask()));
            for (var i = 0; i < readers.Count; i++)
            {
                if (started[i]) heads.Enqueue(readers[i], key(readers[i].Current));
            }
            while (heads.TryDequeue(out var reader, out _))
            {
                yield return reader.Current;
                if (await reader.MoveNextAsync()) heads.Enqueue(reader, key(reader.Current));
            }
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync();
        }
    }
}
