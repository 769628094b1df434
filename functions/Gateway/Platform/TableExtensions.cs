using Gateway.Storage;

namespace Gateway.Platform;

public static class TableExtensions
{
    /// <summary>
    /// Inserts a row whose key was just generated (a random secret's fingerprint, a new id). A conflict means the
    /// generator is broken, not that someone else got there first, so it fails loudly rather than share a key.
    /// </summary>
    public static async Task InsertFreshAsync(this TableClient table, TableEntity entity, CancellationToken cancellationToken)
    {
        if (!(await table.InsertAsync(entity, cancellationToken)).IsSuccess)
        {
            throw new InvalidOperationException($"{table.Name} already has a row {entity.PartitionKey}/{entity.RowKey}, whose key was freshly generated.");
        }
    }
}
