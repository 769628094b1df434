using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Core;

namespace Gateway.Platform;

/// <summary>What a table request costs: entities, and the partition that pays them besides the account.</summary>
internal readonly record struct TableCharge(StoragePartition? Partition, int Entities, bool IsQuery = false);

/// <summary>
/// Reads a Table service request the way the service counts it for its scalability targets: a point operation is one
/// entity of its partition, an insert one of the partition in its body, an entity-group transaction one per operation
/// in its one partition, a query the entities it returns (of the partition its filter pins, if any). The rest (tables
/// created, listed, deleted; service properties) costs one entity of the account alone.
/// </summary>
internal static partial class TableRequestCost
{
    private static readonly TableCharge AccountOnly = new(null, 1);

    public static async ValueTask<TableCharge> OfAsync(Request request, CancellationToken cancellationToken)
    {
        // Azurite's URLs are path-style (/devstoreaccount1/Payments(...)), Azure's are not (/Payments(...)): the last
        // segment names the resource either way.
        var (table, keys) = Resource(request.Uri.Path);
        if (table == "$batch")
        {
            return await ReadAsync(request.Content, cancellationToken) is { } body ? Batch(body) : AccountOnly;
        }
        if (table.Length == 0 || table == "Tables") return AccountOnly;
        if (keys.Length > 0)
        {
            return QuotedValue(keys, "PartitionKey") is { } key ? new(new(table, key), 1) : AccountOnly;
        }
        if (request.Method == RequestMethod.Get)
        {
            var filter = QueryParameter(request.Uri.Query, "$filter");
            var key = filter is null ? null : FilteredPartition(filter);
            return new(key is null ? null : new(table, key), 1, IsQuery: true);
        }
        if (request.Method == RequestMethod.Post)
        {
            var body = await ReadAsync(request.Content, cancellationToken);
            return new(body is not null && PartitionKeyIn(body.Value) is { } key ? new(table, key) : null, 1);
        }
        return AccountOnly;
    }

    /// <summary>
    /// The entities a query's answer holds (its <c>value</c> array), leaving the answer whole for the SDK. Just before
    /// the transport it is still the network stream (the SDK buffers it in a policy earlier in the pipeline, once this
    /// one returns): it is read into memory here and that put in its place, which the SDK's buffering then takes as
    /// it is. An answer already in memory is read where it stands, its position untouched.
    /// </summary>
    public static async ValueTask<int> ReturnedAsync(HttpMessage message)
    {
        var response = message.Response;
        if (response.ContentStream is not { } stream) return 0;
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            return ValueCount(buffer.AsSpan((int)memory.Position));
        }
        var copy = new MemoryStream();
        var start = stream.CanSeek ? stream.Position : 0;
        // As the SDK's own buffering does, reading the answer waits no longer than a try may.
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(message.CancellationToken))
        {
            if (message.NetworkTimeout is { } limit && limit != Timeout.InfiniteTimeSpan) timeout.CancelAfter(limit);
            await stream.CopyToAsync(copy, timeout.Token);
        }
        if (stream.CanSeek)
        {
            stream.Position = start;
        }
        else
        {
            await stream.DisposeAsync();
            copy.Position = 0;
            response.ContentStream = copy;
        }
        return ValueCount(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    /// <summary>
    /// The partition a query filter is confined to: a <c>PartitionKey eq '...'</c> that every match must satisfy
    /// (one of the top-level conjuncts, parenthesised or not). Null when the query may cross partitions.
    /// </summary>
    public static string? FilteredPartition(string filter)
    {
        var conjuncts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < filter.Length; i++)
        {
            switch (filter[i])
            {
                case '\'':
                    i = QuotedEnd(filter, i) - 1;
                    if (i < 0) return null;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                default:
                    if (depth != 0) break;
                    if (IsOperator(filter, i, "or")) return null;
                    if (IsOperator(filter, i, "and"))
                    {
                        conjuncts.Add(filter[start..i]);
                        start = i + 3;
                    }
                    break;
            }
        }
        conjuncts.Add(filter[start..]);
        foreach (var conjunct in conjuncts.Select(c => c.Trim()))
        {
            if (Parenthesised(conjunct) && FilteredPartition(conjunct[1..^1]) is { } inner) return inner;
            if (PartitionEquals().Match(conjunct) is { Success: true } match)
            {
                return match.Groups[1].Value.Replace("''", "'");
            }
        }
        return null;
    }

    // A JSON string holds no raw line break, so in an entity-group transaction's body (multipart/mixed: a changeset
    // of HTTP requests with JSON bodies) every line that reads as a request line is one of its operations.
    [GeneratedRegex(@"^(?:GET|POST|PUT|MERGE|PATCH|DELETE) \S+ HTTP/1\.1$")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^PartitionKey\s+eq\s+'((?:[^']|'')*)'$")]
    private static partial Regex PartitionEquals();

    private static TableCharge Batch(ReadOnlyMemory<byte> content)
    {
        var operations = 0;
        string? url = null;
        StringBuilder? body = null;
        var inFirstBody = false;
        foreach (var line in Encoding.UTF8.GetString(content.Span).AsSpan().EnumerateLines())
        {
            if (RequestLine().IsMatch(line))
            {
                url ??= line.ToString().Split(' ')[1];
                operations++;
                continue;
            }
            if (operations != 1) continue;
            // The first operation's headers end at a blank line; its body, if any, at the next boundary.
            if (body is null && line.IsEmpty)
            {
                body = new StringBuilder();
                inFirstBody = true;
            }
            else if (inFirstBody && line.StartsWith("--", StringComparison.Ordinal))
            {
                inFirstBody = false;
            }
            else if (inFirstBody)
            {
                body!.Append(line).Append('\n');
            }
        }
        if (url is null) return AccountOnly;
        var (table, keys) = Resource(url.Split('?')[0]);
        var key = keys.Length > 0
            ? QuotedValue(keys, "PartitionKey")
            : body is null ? null : PartitionKeyIn(Encoding.UTF8.GetBytes(body.ToString()));
        return new(key is null || table.Length == 0 ? null : new StoragePartition(table, key), operations);
    }

    /// <summary>The table and the keys in a path's last segment: <c>Payments(PartitionKey='a',RowKey='b')</c>.</summary>
    private static (string Table, string Keys) Resource(string path)
    {
        var segment = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
        var open = segment.IndexOf('(');
        if (open < 0) return (segment, "");
        var close = segment.EndsWith(')') ? segment.Length - 1 : segment.Length;
        return (segment[..open], segment[(open + 1)..close]);
    }

    /// <summary>The value of <paramref name="name"/> in <c>Name='value',Other='it''s'</c>.</summary>
    private static string? QuotedValue(string pairs, string name)
    {
        var i = 0;
        while (i < pairs.Length)
        {
            var equals = pairs.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= pairs.Length || pairs[equals + 1] != '\'') return null;
            var end = QuotedEnd(pairs, equals + 1);
            if (end < 0) return null;
            if (pairs.AsSpan(i, equals - i).Trim().SequenceEqual(name))
            {
                return pairs[(equals + 2)..(end - 1)].Replace("''", "'");
            }
            i = end;
            while (i < pairs.Length && (pairs[i] == ',' || char.IsWhiteSpace(pairs[i]))) i++;
        }
        return null;
    }

    /// <summary>Just past the quote closing the one at <paramref name="open"/> (<c>''</c> is one inside); else -1.</summary>
    private static int QuotedEnd(string text, int open)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            if (text[i] != '\'') continue;
            if (i + 1 < text.Length && text[i + 1] == '\'')
            {
                i++;
                continue;
            }
            return i + 1;
        }
        return -1;
    }

    private static bool IsOperator(string filter, int at, string word)
    {
        var after = at + word.Length;
        return at > 0 && char.IsWhiteSpace(filter[at - 1])
            && string.Compare(filter, at, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0
            && after < filter.Length && (char.IsWhiteSpace(filter[after]) || filter[after] == '(');
    }

    /// <summary>Whether the parenthesis that opens the text closes at its end: <c>(a) and (b)</c> is not.</summary>
    private static bool Parenthesised(string text)
    {
        if (text.Length < 2 || text[0] != '(' || text[^1] != ')') return false;
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\'')
            {
                i = QuotedEnd(text, i) - 1;
                if (i < 0) return false;
            }
            else if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i == text.Length - 1;
        }
        return false;
    }

    private static string? QueryParameter(string query, string name)
    {
        foreach (var part in query.TrimStart('?').Split('&'))
        {
            var equals = part.IndexOf('=');
            if (equals > 0 && Uri.UnescapeDataString(part[..equals]) == name)
            {
                return Uri.UnescapeDataString(part[(equals + 1)..]);
            }
        }
        return null;
    }

    /// <summary>
    /// A request's body, written out once here and once more by the transport. The SDK's contents (JSON in a buffer,
    /// multipart/mixed over such parts) write the same bytes each time, as they must: its retry policy sends a request
    /// again with the same content.
    /// </summary>
    private static async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(RequestContent? content, CancellationToken cancel)
    {
        if (content is null) return null;
        var buffer = new MemoryStream();
        await content.WriteToAsync(buffer, cancel);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>The top-level <c>PartitionKey</c> of an entity's JSON.</summary>
    private static string? PartitionKeyIn(ReadOnlyMemory<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json.Span);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                if (reader.ValueTextEquals("PartitionKey"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>The number of elements of the top-level <c>value</c> array of a query's answer.</summary>
    private static int ValueCount(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                if (!reader.ValueTextEquals("value"u8))
                {
                    reader.Skip();
                    continue;
                }
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return 0;
                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    count++;
                    reader.Skip();
                }
                return count;
            }
        }
        catch (JsonException)
        {
        }
        return 0;
    }
}
