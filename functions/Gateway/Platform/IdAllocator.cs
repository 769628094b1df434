using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Gateway.Platform;

public sealed class IdOptions
{
    public const string Section = "Ids";

    /// <summary>
    /// Ids each process reserves per storage round trip. Larger blocks mean fewer round trips on creates and
    /// bigger gaps after restarts; ids stay unique either way.
    /// </summary>
    public int BlockSize { get; set; } = 20;
}

/// <summary>
/// Integer ids (the API's users and organisations have them) without an auto-increment store: a counter row per
/// sequence in the Counters table, advanced a block at a time with an ETag-guarded replace (a 412 means another
/// process won the block; read again). Ids are unique and increasing per process, not gap-free.
/// </summary>
public sealed class IdAllocator(GatewayTables tables, IOptions<IdOptions> options)
{
    private const string RowKey = "counter";
    private const int MaxAttempts = 50;
    private readonly ConcurrentDictionary<string, Sequence> _sequences = new(StringComparer.Ordinal);

    public async Task<long> NextAsync(string sequence, CancellationToken cancellationToken)
    {
        var state = _sequences.GetOrAdd(sequence, _ => new Sequence());
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            if (state.Next >= state.End)
            {
                (state.Next, state.End) = await ReserveAsync(sequence, options.Value.BlockSize, cancellationToken);
            }
            return state.Next++;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Advances the counter row by a block; a lost ETag race means another process took that block, so read again.</summary>
    private async Task<(long Start, long End)> ReserveAsync(string sequence, int size, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var counter = await tables.Counters.FindAsync(sequence, RowKey, cancellationToken: cancellationToken);
            var start = counter?.GetInt64("Next") ?? 1;
            var advanced = new TableEntity(sequence, RowKey) { ["Next"] = start + size };
            var written = counter is null
                ? await tables.Counters.TryAddAsync(advanced, cancellationToken)
                : await tables.Counters.TryReplaceAsync(advanced, counter.ETag, cancellationToken);
            if (written is not null) return (start, start + size);
        }
        throw new InvalidOperationException($"Could not reserve ids for '{sequence}' after {MaxAttempts} attempts: the counter is too contended.");
    }

    /// <summary>This process's current block of one sequence; one reservation at a time per sequence.</summary>
    private sealed class Sequence
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public long Next { get; set; }
        public long End { get; set; }
    }
}
