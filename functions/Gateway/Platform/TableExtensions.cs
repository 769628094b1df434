using Azure;
using Azure.Data.Tables;

namespace Gateway.Platform;

/// <summary>
/// The outcomes the stores expect from Table Storage, as values rather than exceptions: a row that is not there, an
/// insert that meets an existing row (409), a write whose ETag no longer matches (412) or whose row is gone (404).
/// Those are how optimistic concurrency and uniqueness work here, so every store branches on them; anything else
/// (a malformed request, storage that does not answer) still throws.
/// </summary>
public static class TableExtensions
{
    // Azure allows 1 KiB keys; Azurite stops at 512 characters, and the code must run on both.
    private const int MaxKeyLength = 512;

    /// <summary>The row, or null when there is none. With <paramref name="select"/>, the keys are always selected too.</summary>
    public static async Task<TableEntity?> FindAsync(this TableClient table, string partitionKey, string rowKey,
        IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        // A key no row can have (one built from a caller's text) is simply not there; it is never sent.
        if (!IsValidKey(partitionKey) || !IsValidKey(rowKey)) return null;
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey,
            select is null ? null : [.. select, "PartitionKey", "RowKey"], cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Inserts the row: its ETag, or null when a row with its keys exists.</summary>
    public static async Task<ETag?> TryAddAsync(this TableClient table, ITableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            return (await table.AddEntityAsync(Lean(entity), cancellationToken)).Headers.ETag;
        }
        catch (RequestFailedException error) when (error is { Status: 409, ErrorCode: "EntityAlreadyExists" })
        {
            return null;
        }
    }

    /// <summary>
    /// Inserts a row whose key was just generated (a random secret's fingerprint, a random id). Nobody else can
    /// know that key, so a conflict can only be an earlier try of this same insert that landed while its answer
    /// was lost (the SDK retries after timeouts): the row is there, which is what was wanted.
    /// </summary>
    public static Task InsertFreshAsync(this TableClient table, ITableEntity entity, CancellationToken cancellationToken) =>
        table.TryAddAsync(entity, cancellationToken);

    /// <summary>Inserts or replaces the row, whatever it holds.</summary>
    public static Task UpsertAsync(this TableClient table, ITableEntity entity, CancellationToken cancellationToken) =>
        table.UpsertEntityAsync(Lean(entity), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Replaces the row if it still has <paramref name="ifMatch"/>: its new ETag, or null when it changed or is gone.</summary>
    public static Task<ETag?> TryReplaceAsync(this TableClient table, ITableEntity entity, ETag ifMatch, CancellationToken cancellationToken) =>
        TryUpdateAsync(table, entity, ifMatch, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Like <see cref="TryReplaceAsync"/>, but properties the entity does not carry keep their stored values.</summary>
    public static Task<ETag?> TryMergeAsync(this TableClient table, ITableEntity entity, ETag ifMatch, CancellationToken cancellationToken) =>
        TryUpdateAsync(table, entity, ifMatch, TableUpdateMode.Merge, cancellationToken);

    /// <summary>Deletes the row if it still has <paramref name="ifMatch"/>; false when it changed or was already gone.</summary>
    public static async Task<bool> TryDeleteAsync(this TableClient table, string partitionKey, string rowKey, ETag ifMatch,
        CancellationToken cancellationToken)
    {
        try
        {
            // The SDK answers a missing row with its 404 response rather than an exception.
            return !(await table.DeleteEntityAsync(partitionKey, rowKey, Require(ifMatch), cancellationToken)).IsError;
        }
        catch (RequestFailedException error) when (error.Status == 412)
        {
            return false;
        }
    }

    /// <summary>
    /// One entity-group transaction of the actions given (nulls skipped): every row's new ETag in order (default
    /// for deletes), or null when storage refused it as a whole because a row to insert exists, an ETag no longer
    /// matched or a row to change is gone. Nothing of a refused transaction is applied.
    /// </summary>
    public static async Task<IReadOnlyList<ETag>?> TrySubmitAsync(this TableClient table, IEnumerable<TableTransactionAction?> actions,
        CancellationToken cancellationToken)
    {
        try
        {
            var responses = await table.SubmitTransactionAsync(actions.OfType<TableTransactionAction>(), cancellationToken);
            return [.. responses.Value.Select(r => r.Headers.ETag ?? default)];
        }
        catch (TableTransactionFailedException error) when (error.Status is 404 or 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Whether a key can exist in a table: the service refuses / \ # ? and control characters.</summary>
    public static bool IsValidKey(string key) =>
        key.Length <= MaxKeyLength && !key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    private static async Task<ETag?> TryUpdateAsync(TableClient table, ITableEntity entity, ETag ifMatch, TableUpdateMode mode,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await table.UpdateEntityAsync(Lean(entity), Require(ifMatch), mode, cancellationToken)).Headers.ETag;
        }
        catch (RequestFailedException error) when (error.Status is 404 or 412)
        {
            return null;
        }
    }

    private static ETag Require(ETag ifMatch) => ifMatch == default
        ? throw new ArgumentException("A conditional write needs the ETag the row was read with (or ETag.All).", nameof(ifMatch))
        : ifMatch;

    /// <summary>
    /// The entity without its null properties. Rows are built with every property, null when unset; the SDK would
    /// send those as JSON nulls, which the service stores as nothing anyway, at the cost of a bigger request to parse.
    /// </summary>
    internal static ITableEntity Lean(ITableEntity entity)
    {
        if (entity is TableEntity row)
        {
            foreach (var key in row.Keys.Where(k => row[k] is null).ToList()) row.Remove(key);
        }
        return entity;
    }
}

/// <summary>The operations of an entity-group transaction, by what they do to the row.</summary>
public static class TableActions
{
    public static TableTransactionAction Insert(ITableEntity entity) => new(TableTransactionActionType.Add, TableExtensions.Lean(entity));

    /// <summary>Replaces the row if it still has <paramref name="ifMatch"/> (<see cref="ETag.All"/>: whatever it has).</summary>
    public static TableTransactionAction Replace(ITableEntity entity, ETag ifMatch) =>
        new(TableTransactionActionType.UpdateReplace, TableExtensions.Lean(entity), Require(ifMatch));

    /// <summary>Sets the entity's properties on the row, keeping the others, if it still has <paramref name="ifMatch"/>.</summary>
    public static TableTransactionAction Merge(ITableEntity entity, ETag ifMatch) =>
        new(TableTransactionActionType.UpdateMerge, TableExtensions.Lean(entity), Require(ifMatch));

    /// <summary>Inserts or replaces the row, whatever it holds.</summary>
    public static TableTransactionAction Upsert(ITableEntity entity) => new(TableTransactionActionType.UpsertReplace, TableExtensions.Lean(entity));

    public static TableTransactionAction Delete(string partitionKey, string rowKey, ETag ifMatch) =>
        new(TableTransactionActionType.Delete, new TableEntity(partitionKey, rowKey), Require(ifMatch));

    private static ETag Require(ETag ifMatch) => ifMatch == default
        ? throw new ArgumentException("A conditional change needs the ETag the row was read with (or ETag.All).", nameof(ifMatch))
        : ifMatch;
}

/// <summary>Filters built only with <see cref="TableClient.CreateQueryFilter(FormattableString)"/>, so no input shapes a query.</summary>
public static class TableFilters
{
    public static string Partition(string partitionKey) => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}");

    /// <summary>Rows of one partition whose key starts with <paramref name="prefix"/> (a key range, so the service seeks).</summary>
    public static string RowPrefix(string partitionKey, string prefix) =>
        And(Partition(partitionKey), RowPrefix(prefix));

    /// <summary>Row keys starting with <paramref name="prefix"/>: at least the prefix and below it with its last character incremented.</summary>
    public static string RowPrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var upper = prefix[..^1] + (char)(prefix[^1] + 1);
        return TableClient.CreateQueryFilter($"RowKey ge {prefix} and RowKey lt {upper}");
    }

    /// <summary>Both filters; each must itself come from <see cref="TableClient.CreateQueryFilter(FormattableString)"/>.</summary>
    public static string And(string left, string right) => $"({left}) and ({right})";
}
