using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>Entity operations on one table. Expected outcomes are typed results; anything else throws StorageException.</summary>
public sealed class TableClient
{
    private const int MaxPageSize = 1000;
    private static readonly HttpMethod MergeMethod = new("MERGE");

    private readonly string _endpoint;
    private readonly StorageTransport _transport;

    internal TableClient(string name, string endpoint, StorageTransport transport)
    {
        Name = name;
        _endpoint = endpoint;
        _transport = transport;
    }

    public string Name { get; }

    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        // The name is validated alphanumeric, so it needs no JSON escaping.
        var body = Encoding.UTF8.GetBytes($"{{\"TableName\":\"{Name}\"}}");
        using var response = await _transport.SendAsync(
            () => TableHttp.Request(HttpMethod.Post, _endpoint + "Tables", body, preferNoContent: true), ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var error = await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        if (error is not { Status: 409, ErrorCode: "TableAlreadyExists" })
        {
            throw error;
        }
    }

    /// <summary>Success, or Conflict when the entity already exists.</summary>
    public Task<TableWriteResult> InsertAsync(TableEntity entity, CancellationToken ct = default)
    {
        var body = TableEntityJson.Serialize(Require(entity));
        return WriteAsync(() => TableHttp.Request(HttpMethod.Post, _endpoint + Name, body, preferNoContent: true), isInsert: true, ct);
    }

    /// <summary>Success, NotFound, or PreconditionFailed when ifMatch isn't the current ETag ("*" matches any).</summary>
    public Task<TableWriteResult> ReplaceAsync(TableEntity entity, string ifMatch, CancellationToken ct = default) =>
        UpdateAsync(HttpMethod.Put, entity, ifMatch, ct);

    /// <summary>Like ReplaceAsync, but properties the entity doesn't carry keep their stored values.</summary>
    public Task<TableWriteResult> MergeAsync(TableEntity entity, string ifMatch, CancellationToken ct = default) =>
        UpdateAsync(MergeMethod, entity, ifMatch, ct);

    /// <summary>Inserts or replaces the entity; returns its new ETag.</summary>
    public Task<string> UpsertReplaceAsync(TableEntity entity, CancellationToken ct = default) => UpsertAsync(HttpMethod.Put, entity, ct);

    /// <summary>Inserts or merges the entity; returns its new ETag.</summary>
    public Task<string> UpsertMergeAsync(TableEntity entity, CancellationToken ct = default) => UpsertAsync(MergeMethod, entity, ct);

    public Task<TableWriteResult> DeleteAsync(string partitionKey, string rowKey, string ifMatch = "*", CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ifMatch);
        var url = EntityUrl(partitionKey, rowKey);
        return WriteAsync(() => TableHttp.Request(HttpMethod.Delete, url, ifMatch: ifMatch), isInsert: false, ct);
    }

    /// <summary>The entity, or null when it doesn't exist. PartitionKey and RowKey are always filled.</summary>
    public async Task<TableEntity?> GetAsync(
        string partitionKey, string rowKey, IReadOnlyList<string>? select = null, CancellationToken ct = default)
    {
        var url = EntityUrl(partitionKey, rowKey) + (select is null ? "" : "?$select=" + SelectList(select));
        using var response = await _transport.SendAsync(() => TableHttp.Request(HttpMethod.Get, url), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
            return error is { Status: 404 } && error.ErrorCode != "TableNotFound" ? null : throw error;
        }
        using var json = await ReadJsonAsync(response, ct).ConfigureAwait(false);
        var entity = TableEntityJson.Read(json.RootElement, partitionKey, rowKey);
        entity.ETag ??= TableHttp.ETag(response);
        return entity;
    }

    /// <summary>Every matching entity, following continuations (pages may be empty yet continue) to the end.</summary>
    public async IAsyncEnumerable<TableEntity> QueryAsync(TableQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        TableContinuation? continuation = null;
        do
        {
            var page = await QueryPageAsync(query, continuation, ct).ConfigureAwait(false);
            foreach (var entity in page.Entities)
            {
                yield return entity;
            }
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>One service page: at most Top (or 1,000) entities, possibly none, and the continuation if any.</summary>
    public async Task<TablePage> QueryPageAsync(TableQuery query, TableContinuation? continuation = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = QueryUrl(query, continuation);
        using var response = await _transport.SendAsync(() => TableHttp.Request(HttpMethod.Get, url), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
        using var json = await ReadJsonAsync(response, ct).ConfigureAwait(false);
        var entities = json.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(e => TableEntityJson.Read(e)).ToArray()
            : throw StorageErrors.Create(200, null, "The query response has no 'value' array.", response.RequestMessage);
        var nextPartition = ResponseHeaders.Get(response, "x-ms-continuation-NextPartitionKey");
        var next = string.IsNullOrEmpty(nextPartition)
            ? null
            : new TableContinuation(nextPartition, ResponseHeaders.Get(response, "x-ms-continuation-NextRowKey") is { Length: > 0 } row ? row : null);
        return new TablePage(entities, next);
    }

    /// <summary>
    /// One all-or-nothing changeset of 1-100 operations on one partition, each row at most once. Conflict,
    /// PreconditionFailed and NotFound failures come back as a failed result; other failures throw.
    /// </summary>
    public async Task<TableBatchResult> SubmitBatchAsync(IReadOnlyList<TableOperation> operations, CancellationToken ct = default)
    {
        TableBatch.Validate(operations);
        var (body, boundary) = TableBatch.Build(_endpoint, Name, operations);
        using var response = await _transport.SendAsync(() =>
        {
            var request = TableHttp.Request(HttpMethod.Post, _endpoint + "$batch");
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("multipart/mixed")
            {
                Parameters = { new NameValueHeaderValue("boundary", boundary) },
            };
            return request;
        }, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return TableBatch.Parse(text, operations, response.RequestMessage);
    }

    private Task<TableWriteResult> UpdateAsync(HttpMethod method, TableEntity entity, string ifMatch, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ifMatch);
        var body = TableEntityJson.Serialize(Require(entity));
        var url = EntityUrl(entity.PartitionKey, entity.RowKey);
        return WriteAsync(() => TableHttp.Request(method, url, body, ifMatch), isInsert: false, ct);
    }

    private async Task<string> UpsertAsync(HttpMethod method, TableEntity entity, CancellationToken ct)
    {
        // No If-Match at all makes PUT and MERGE upserts; an empty one would be a failed precondition.
        var body = TableEntityJson.Serialize(Require(entity));
        var url = EntityUrl(entity.PartitionKey, entity.RowKey);
        using var response = await _transport.SendAsync(() => TableHttp.Request(method, url, body), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
        return TableHttp.ETag(response)
            ?? throw StorageErrors.Create((int)response.StatusCode, null, "The upsert response has no ETag.", response.RequestMessage);
    }

    private async Task<TableWriteResult> WriteAsync(Func<HttpRequestMessage> build, bool isInsert, CancellationToken ct)
    {
        using var response = await _transport.SendAsync(build, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return new TableWriteResult(TableStatus.Success, TableHttp.ETag(response));
        }
        var error = await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        TableStatus? status = error.Status switch
        {
            409 when isInsert && error.ErrorCode != "TableBeingDeleted" => TableStatus.Conflict,
            // A missing table is a deployment fault, not a missing entity: it throws.
            404 when !isInsert && error.ErrorCode != "TableNotFound" => TableStatus.NotFound,
            412 when !isInsert => TableStatus.PreconditionFailed,
            _ => null,
        };
        return status is { } typed ? new TableWriteResult(typed, null) : throw error;
    }

    private string EntityUrl(string partitionKey, string rowKey)
    {
        TableNames.ValidateKey(partitionKey, nameof(partitionKey));
        TableNames.ValidateKey(rowKey, nameof(rowKey));
        return _endpoint + TableNames.EntityPath(Name, partitionKey, rowKey);
    }

    private string QueryUrl(TableQuery query, TableContinuation? continuation)
    {
        var parameters = new List<string>();
        if (query.Filter is not null)
        {
            parameters.Add("$filter=" + Uri.EscapeDataString(query.Filter.ToString()));
        }
        if (query.Select is not null)
        {
            // The keys are always selected: every TableEntity has them.
            parameters.Add("$select=" + SelectList(query.Select.Concat(["PartitionKey", "RowKey"]).Distinct(StringComparer.Ordinal).ToArray()));
        }
        if (query.Top is { } top)
        {
            if (top is < 1 or > MaxPageSize)
            {
                throw new ArgumentException($"Top must be between 1 and {MaxPageSize}.", nameof(query));
            }
            parameters.Add("$top=" + top.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (continuation is not null)
        {
            parameters.Add("NextPartitionKey=" + Uri.EscapeDataString(continuation.NextPartitionKey));
            if (continuation.NextRowKey is not null)
            {
                parameters.Add("NextRowKey=" + Uri.EscapeDataString(continuation.NextRowKey));
            }
        }
        var url = _endpoint + Name + "()";
        return parameters.Count == 0 ? url : url + "?" + string.Join('&', parameters);
    }

    private static string SelectList(IReadOnlyList<string> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        foreach (var property in select)
        {
            TableNames.ValidatePropertyName(property, nameof(select));
        }
        return Uri.EscapeDataString(string.Join(',', select));
    }

    private static TableEntity Require(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return entity;
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        try
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (JsonException exception)
        {
            throw new StorageException((int)response.StatusCode, null, "The table response is not valid JSON.", exception);
        }
    }
}
