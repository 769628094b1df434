using Gateway.Storage;
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
    private readonly Dictionary<string, Block> _blocks = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<long> NextAsync(string sequence, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_blocks.TryGetValue(sequence, out var block) || block.Next >= block.End)
            {
                block = await ReserveAsync(sequence, options.Value.BlockSize, cancellationToken);
            }
            _blocks[sequence] = block with { Next = block.Next + 1 };
            return block.Next;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Block> ReserveAsync(string sequence, int size, CancellationToken cancellationToken)
    {
        while (true)
        {
            var counter = await tables.Counters.GetAsync(sequence, RowKey, ct: cancellationToken);
            var start = counter?.GetInt64("Next") ?? 1;
            var advanced = new TableEntity(sequence, RowKey) { ["Next"] = start + size };
            var result = counter is null
                ? await tables.Counters.InsertAsync(advanced, cancellationToken)
                : await tables.Counters.ReplaceAsync(advanced, counter.ETag!, cancellationToken);
            if (result.IsSuccess) return new Block(start, start + size);
        }
    }

    private sealed record Block(long Next, long End);
}
