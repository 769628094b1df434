using System.Globalization;
using System.Text;
using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>
/// The OData v3 multipart format of an entity-group transaction: one changeset, CRLF line endings, absolute
/// sub-request URLs; and the multipart response with one HTTP part per operation, or one error part.
/// </summary>
internal static class TableBatch
{
    public const int MaxOperations = 100;
    private const int MaxBodyBytes = 4 * 1024 * 1024;
    private const string Crlf = "\r\n";

    public static void Validate(IReadOnlyList<TableOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count is 0 or > MaxOperations)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxOperations} operations, not {operations.Count}.", nameof(operations));
        }
        var partitionKey = operations[0].PartitionKey;
        var rowKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            ArgumentNullException.ThrowIfNull(operation, nameof(operations));
            if (!string.Equals(operation.PartitionKey, partitionKey, StringComparison.Ordinal))
            {
                throw new ArgumentException("All operations in a batch must share one PartitionKey.", nameof(operations));
            }
            if (!rowKeys.Add(operation.RowKey))
            {
                throw new ArgumentException($"RowKey '{operation.RowKey}' appears more than once in the batch.", nameof(operations));
            }
        }
    }

    /// <summary>The request body and its multipart boundary; endpoint is the absolute table endpoint, ending in '/'.</summary>
    public static (byte[] Body, string Boundary) Build(string endpoint, string table, IReadOnlyList<TableOperation> operations)
    {
        var batch = "batch_" + Guid.NewGuid().ToString("D");
        var changeset = "changeset_" + Guid.NewGuid().ToString("D");
        var text = new StringBuilder()
            .Append("--").Append(batch).Append(Crlf)
            .Append("Content-Type: multipart/mixed; boundary=").Append(changeset).Append(Crlf)
            .Append(Crlf);
        foreach (var operation in operations)
        {
            var (method, hasBody) = operation.Kind switch
            {
                TableOperationKind.Insert => ("POST", true),
                TableOperationKind.Replace or TableOperationKind.UpsertReplace => ("PUT", true),
                TableOperationKind.Merge or TableOperationKind.UpsertMerge => ("MERGE", true),
                _ => ("DELETE", false),
            };
            var url = endpoint + (operation.Kind == TableOperationKind.Insert
                ? table
                : TableNames.EntityPath(table, operation.PartitionKey, operation.RowKey));
            text.Append("--").Append(changeset).Append(Crlf)
                .Append("Content-Type: application/http").Append(Crlf)
                .Append("Content-Transfer-Encoding: binary").Append(Crlf)
                .Append(Crlf)
                .Append(method).Append(' ').Append(url).Append(" HTTP/1.1").Append(Crlf)
                .Append("Accept: application/json;odata=minimalmetadata").Append(Crlf)
                .Append("DataServiceVersion: 3.0;").Append(Crlf);
            if (operation.IfMatch is not null)
            {
                text.Append("If-Match: ").Append(operation.IfMatch).Append(Crlf);
            }
            if (hasBody)
            {
                if (operation.Kind == TableOperationKind.Insert)
                {
                    text.Append("Prefer: return-no-content").Append(Crlf);
                }
                // Azurite finds the body with a single-line pattern, which the compact serializer satisfies.
                text.Append("Content-Type: application/json").Append(Crlf)
                    .Append(Crlf)
                    .Append(Encoding.UTF8.GetString(TableEntityJson.Serialize(operation.Entity!))).Append(Crlf);
            }
            else
            {
                text.Append(Crlf);
            }
        }
        text.Append("--").Append(changeset).Append("--").Append(Crlf)
            .Append("--").Append(batch).Append("--").Append(Crlf);

        var body = Encoding.UTF8.GetBytes(text.ToString());
        if (body.Length > MaxBodyBytes)
        {
            throw new ArgumentException($"The batch is {body.Length} bytes; the service accepts at most 4 MiB.", nameof(operations));
        }
        return (body, batch);
    }

    /// <summary>
    /// Reads a 202 batch response. Conflict, precondition and not-found failures become a failed result; any other
    /// failing status throws, as it would for a single operation.
    /// </summary>
    public static TableBatchResult Parse(string body, IReadOnlyList<TableOperation> operations, HttpRequestMessage? request)
    {
        var parts = ReadParts(body);
        var failed = parts.FindIndex(p => p.Status is < 200 or >= 300);
        if (failed < 0)
        {
            if (parts.Count != operations.Count)
            {
                throw StorageErrors.Create(202, null, $"The batch response has {parts.Count} parts for {operations.Count} operations.", request);
            }
            var etags = parts.Select((part, i) => operations[i].Kind == TableOperationKind.Delete ? null : part.Header("ETag")).ToArray();
            return new TableBatchResult(true, etags, null, null, null);
        }

        var failure = parts[failed];
        var (code, message) = StorageErrors.Parse(failure.Body);
        TableStatus? status = failure.Status switch
        {
            409 => TableStatus.Conflict,
            412 => TableStatus.PreconditionFailed,
            404 when code != "TableNotFound" => TableStatus.NotFound,
            _ => null,
        };
        if (status is null)
        {
            throw StorageErrors.Create(failure.Status, code, message, request);
        }
        var index = IndexPrefix(message)
            ?? (int.TryParse(failure.Header("Content-ID"), CultureInfo.InvariantCulture, out var contentId) ? contentId - 1 : (int?)null)
            ?? (parts.Count == operations.Count ? failed : null);
        return new TableBatchResult(false, [], index >= 0 && index < operations.Count ? index : null, status, code);
    }

    // The service prefixes the failing operation's 0-based index to the error message: "2:The specified entity...".
    private static int? IndexPrefix(string? message)
    {
        var colon = message?.IndexOf(':') ?? -1;
        return colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }

    /// <summary>The HTTP responses embedded in the multipart body, in order. Tolerates LF or CRLF.</summary>
    private static List<Part> ReadParts(string body)
    {
        var parts = new List<Part>();
        Part? current = null;
        var inBody = false;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', 3);
                current = new Part(fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var status) ? status : 0);
                parts.Add(current);
                inBody = false;
            }
            else if (current is null)
            {
                continue;
            }
            else if (line.StartsWith("--", StringComparison.Ordinal))
            {
                current = null;
            }
            else if (inBody)
            {
                current.Body += line + "\n";
            }
            else if (line.Length == 0)
            {
                inBody = true;
            }
            else if (line.IndexOf(':') is > 0 and var colon)
            {
                current.Headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return parts;
    }

    private sealed class Part(int status)
    {
        public int Status { get; } = status;

        public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

        public string Body { get; set; } = "";

        public string? Header(string name) => Headers.GetValueOrDefault(name);
    }
}
