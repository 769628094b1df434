using Gateway.Storage;

namespace Gateway.Platform;

public static class TableExtensions
{
    /// <summary>
    /// Inserts a row whose key was just generated (a random secret's fingerprint, a random id). Nobody else can
    /// know that key, so a conflict can only be an earlier attempt of this same insert that landed while its answer
    /// was lost (the storage client retries after timeouts): the row is there, which is what was wanted.
    /// </summary>
    public static async Task InsertFreshAsync(this TableClient table, TableEntity entity, CancellationToken cancellationToken) =>
        await table.InsertAsync(entity, cancellationToken);
}
