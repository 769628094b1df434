using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api;

/// <summary>Limits on what a client may send, bound from the <c>Api</c> section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>The largest request body accepted; larger ones get 413 before they are read.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>
/// A v1 request body, parsed into one tree whichever way it was sent: <c>application/x-www-form-urlencoded</c> with
/// PHP bracket notation (<c>User[name]=x</c>, <c>serviceId[]=1</c>, <c>serviceId[3]=25</c>, <c>schedules[0][amount]=5</c>)
/// or JSON of the same structure. Typed requests read their fields through <see cref="FormSection"/>, which reports
/// problems as 400s naming the field. Functions read it with <see cref="ReadAsync"/>.
/// </summary>
public sealed class RequestForm
{
    private const int MaxFields = 1000;
    private const int MaxDepth = 8;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Field names match case-insensitively: JSON serializers often camel-case <c>User</c> to <c>user</c>.</summary>
    internal static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = true };

    private readonly JsonObject _root;

    private RequestForm(JsonObject root)
    {
        _root = root;
        Root = new FormSection(null, root);
    }

    public FormSection Root { get; }

    /// <summary>
    /// The parsed body as compact JSON, without the <paramref name="without"/> top-level fields and with the
    /// <paramref name="masked"/> ones replaced by <paramref name="mask"/> of their text: equal for equal requests
    /// however they were encoded (form or JSON).
    /// </summary>
    public string Canonical(string[] without, string[] masked, Func<string, string> mask)
    {
        var copy = (JsonObject)_root.DeepClone();
        foreach (var field in without) copy.Remove(field);
        foreach (var field in masked)
        {
            if (copy[field] is JsonValue value) copy[field] = mask(value.ToJsonString().Trim('"'));
        }
        return copy.ToJsonString();
    }

    public FormSection Section(string name) => Root.Section(name);

    /// <summary>
    /// Reads and parses the request's body (at most <c>Api:MaxBodyBytes</c>), once per request: authentication may
    /// read it first (a <c>token</c> field), the function after.
    /// </summary>
    public static async Task<RequestForm> ReadAsync(HttpRequest request)
    {
        if (request.HttpContext.Items[typeof(RequestForm)] is RequestForm read) return read;
        var form = await ParseAsync(request);
        request.HttpContext.Items[typeof(RequestForm)] = form;
        return form;
    }

    /// <summary>Whether the body is declared as one <see cref="ReadAsync"/> reads: form fields or JSON.</summary>
    public static bool IsFormOrJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && (type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static async Task<RequestForm> ParseAsync(HttpRequest request)
    {
        var context = request.HttpContext;
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxBodyBytes;
        var body = await ReadBodyAsync(context.Request, limit, context.RequestAborted);
        if (body.Length == 0) return new RequestForm(new JsonObject(NodeOptions));

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType))
        {
            throw ApiException.UnsupportedMediaType("Send the body as application/x-www-form-urlencoded or application/json.");
        }
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.UnsupportedMediaType("Only UTF-8 request bodies are accepted.");
        }
        if (mediaType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return new RequestForm(ParseForm(body));
        }
        if (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            return new RequestForm(ParseJson(body));
        }
        throw ApiException.UnsupportedMediaType(
            $"Content type '{mediaType.MediaType}' is not supported; send application/x-www-form-urlencoded or application/json.");
    }

    /// <summary>For callers that build a form in code (the demo seed, tests of typed requests).</summary>
    public static RequestForm FromJson(JsonObject root) => new(root);

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) throw ApiException.TooLarge(limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) throw ApiException.TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static JsonObject ParseJson(byte[] body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, NodeOptions, new JsonDocumentOptions { MaxDepth = MaxDepth * 2 });
            // Nodes are built lazily; walking the tree now surfaces duplicate names here rather than mid-request.
            if (root is JsonObject obj) Touch(obj);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            throw ApiException.BadRequest("The request body is not valid JSON (or names a field twice).");
        }
        return root as JsonObject ?? throw ApiException.BadRequest("The JSON body must be an object.");
    }

    /// <summary>Materialises every object's properties, which is when duplicate (case-insensitive) names are found.</summary>
    private static void Touch(JsonObject obj)
    {
        foreach (var (_, child) in obj)
        {
            if (child is JsonObject o) Touch(o);
            else if (child is JsonArray a) foreach (var item in a.OfType<JsonObject>()) Touch(item);
        }
    }

    private static JsonObject ParseForm(byte[] body)
    {
        var root = new JsonObject(NodeOptions);
        // Latin-1 maps each byte to the char of the same value, so the text below still holds the raw bytes: clients
        // that send UTF-8 unescaped (curl -d "name=Jürgen") and those that percent-encode it decode alike.
        var pairs = Encoding.Latin1.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries);
        if (pairs.Length > MaxFields) throw ApiException.BadRequest($"A request may have at most {MaxFields} fields.");
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            var (field, path) = ParseName(name);
            Assign(root, field, path, 0, value, name);
        }
        return root;
    }

    /// <summary>Splits <c>a[b][]</c> into <c>a</c> and the path <c>["b", null]</c> (null = append).</summary>
    private static (string Field, List<string?> Path) ParseName(string name)
    {
        var open = name.IndexOf('[', StringComparison.Ordinal);
        var field = open < 0 ? name : name[..open];
        if (field.Length == 0) throw ApiException.BadRequest($"'{Printable(name)}' is not a valid field name.");
        var path = new List<string?>();
        for (var i = open; i >= 0 && i < name.Length;)
        {
            var close = name.IndexOf(']', i);
            if (name[i] != '[' || close < 0) throw ApiException.BadRequest($"'{Printable(name)}' is not a valid field name.");
            var segment = name[(i + 1)..close];
            path.Add(segment.Length == 0 ? null : segment);
            i = close + 1;
        }
        if (path.Count > MaxDepth) throw ApiException.BadRequest($"'{Printable(name)}' is nested too deeply.");
        return (field, path);
    }

    private static void Assign(JsonNode container, string? key, List<string?> path, int depth, string value, string name)
    {
        if (depth == path.Count)
        {
            if (container is JsonArray list)
            {
                list.Add(value);
            }
            else if (((JsonObject)container)[key!] is null or JsonValue)
            {
                // Repeated scalar fields: the last one wins, as in PHP.
                ((JsonObject)container)[key!] = value;
            }
            else
            {
                throw Conflict(name);
            }
            return;
        }

        var wantsArray = path[depth] is null;
        var child = container is JsonObject parent ? parent[key!] : null;
        if (child is null)
        {
            child = wantsArray ? new JsonArray(NodeOptions) : new JsonObject(NodeOptions);
            if (container is JsonArray list) list.Add(child); else ((JsonObject)container)[key!] = child;
        }
        else if (wantsArray != child is JsonArray || child is JsonValue)
        {
            throw Conflict(name);
        }
        Assign(child, path[depth], path, depth + 1, value, name);
    }

    private static ApiException Conflict(string name) =>
        ApiException.BadRequest(Printable(name), "is given both as a single value and as a list or group.");

    /// <summary>
    /// Percent-decoding with '+' as space over the body's bytes (one char per byte), then strict UTF-8, so that
    /// mangled bytes are a 400, not a stored U+FFFD or '?'.
    /// </summary>
    private static string Decode(string encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '+') bytes.Add((byte)' ');
            else if (c == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else bytes.Add((byte)c);
        }
        try
        {
            return StrictUtf8.GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            throw ApiException.BadRequest("The form body has percent-encoded bytes that are not valid UTF-8.");
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    internal static string Printable(string text) => text.Length > 64 ? text[..64] + "…" : text;
}
