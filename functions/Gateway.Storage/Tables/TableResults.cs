namespace Gateway.Storage;

public enum TableStatus
{
    Success,
    NotFound,
    Conflict,
    PreconditionFailed,
}

/// <summary>The outcome of a single-entity write; ETag is the entity's new ETag on success.</summary>
public readonly record struct TableWriteResult(TableStatus Status, string? ETag)
{
    public bool IsSuccess => Status == TableStatus.Success;
}

/// <summary>
/// The outcome of an entity-group transaction. On success ETags has one entry per operation (null for deletes).
/// On failure nothing was applied; FailedIndex is the 0-based index of the failing operation when the service said.
/// </summary>
public sealed record TableBatchResult(
    bool Succeeded, IReadOnlyList<string?> ETags, int? FailedIndex, TableStatus? FailedStatus, string? ErrorCode);

/// <summary>A query: Top is the page size (at most 1,000); QueryAsync still follows continuations to the end.</summary>
public sealed record TableQuery(TableFilter? Filter = null, IReadOnlyList<string>? Select = null, int? Top = null);

/// <summary>One service page and the continuation to the next, null on the last page.</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, TableContinuation? Continuation);
