namespace Gateway.Storage;

internal enum TableOperationKind
{
    Insert,
    Replace,
    Merge,
    UpsertReplace,
    UpsertMerge,
    Delete,
}

/// <summary>One operation of an entity-group transaction (TableClient.SubmitBatchAsync).</summary>
public abstract record TableOperation
{
    private protected TableOperation(TableOperationKind kind, string partitionKey, string rowKey, TableEntity? entity, string? ifMatch)
    {
        TableNames.ValidateKey(partitionKey, nameof(partitionKey));
        TableNames.ValidateKey(rowKey, nameof(rowKey));
        Kind = kind;
        PartitionKey = partitionKey;
        RowKey = rowKey;
        Entity = entity;
        IfMatch = ifMatch;
    }

    internal TableOperationKind Kind { get; }

    internal string PartitionKey { get; }

    internal string RowKey { get; }

    internal TableEntity? Entity { get; }

    /// <summary>The ETag to match, "*" for any; null for inserts and upserts, which send no If-Match.</summary>
    internal string? IfMatch { get; }

    public static TableOperation Insert(TableEntity e) => ForEntity(TableOperationKind.Insert, e, null);

    public static TableOperation Replace(TableEntity e, string ifMatch) => ForEntity(TableOperationKind.Replace, e, RequireETag(ifMatch));

    public static TableOperation Merge(TableEntity e, string ifMatch) => ForEntity(TableOperationKind.Merge, e, RequireETag(ifMatch));

    public static TableOperation UpsertReplace(TableEntity e) => ForEntity(TableOperationKind.UpsertReplace, e, null);

    public static TableOperation UpsertMerge(TableEntity e) => ForEntity(TableOperationKind.UpsertMerge, e, null);

    public static TableOperation Delete(string partitionKey, string rowKey, string ifMatch = "*") =>
        new Operation(TableOperationKind.Delete, partitionKey, rowKey, null, RequireETag(ifMatch));

    public sealed override string ToString() => $"{Kind} ({PartitionKey}, {RowKey})";

    private static Operation ForEntity(TableOperationKind kind, TableEntity entity, string? ifMatch)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return new Operation(kind, entity.PartitionKey, entity.RowKey, entity, ifMatch);
    }

    private static string RequireETag(string ifMatch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ifMatch);
        return ifMatch;
    }

    private sealed record Operation : TableOperation
    {
        public Operation(TableOperationKind kind, string partitionKey, string rowKey, TableEntity? entity, string? ifMatch)
            : base(kind, partitionKey, rowKey, entity, ifMatch)
        {
        }
    }
}
