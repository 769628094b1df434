using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Api;

/// <summary>
/// One level of a <see cref="RequestForm"/> (the whole body, or e.g. its <c>User</c> group). Every accessor
/// checks type and shape and throws a 400 naming the field as the client wrote it (<c>User[email]</c>).
/// Text is refused when it holds control characters or broken UTF-16, so nothing odd is ever stored.
/// </summary>
public sealed class FormSection(string? prefix, JsonObject? node)
{
    public string FieldName(string key) => prefix is null ? key : $"{prefix}[{key}]";

    /// <summary>Whether the field was sent at all (an empty value or JSON null counts: it means "clear").</summary>
    public bool Has(string key) => node is not null && node.ContainsKey(key);

    public FormSection Section(string key)
    {
        var value = node?[key];
        return value switch
        {
            null => new FormSection(FieldName(key), null),
            JsonObject group => new FormSection(FieldName(key), group),
            _ => throw ApiException.BadRequest(FieldName(key), "must be a group of fields, e.g. " + FieldName(key) + "[name]=..."),
        };
    }

    /// <summary>A text field; null when absent, empty or JSON null. Leading and trailing spaces are trimmed.</summary>
    public string? Text(string key, int maxLength) => TextField(key, maxLength, trim: true);

    /// <summary>Like <see cref="Text"/>, with line breaks allowed (an e-mail template), kept as <c>\n</c>.</summary>
    public string? MultilineText(string key, int maxLength) =>
        TextField(key, maxLength, trim: true, lineBreaks: true)?.ReplaceLineEndings("\n");

    /// <summary>A secret (a password): like <see cref="Text"/> but exactly as sent, spaces included.</summary>
    public string? Secret(string key, int maxLength) => TextField(key, maxLength, trim: false);

    /// <summary>A text field that JSON clients may also send as a number (e.g. a phone number).</summary>
    public string? TextOrNumber(string key, int maxLength)
    {
        var value = node?[key];
        if (value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.Number)
        {
            var digits = scalar.ToJsonString();
            return digits.Length <= maxLength ? digits : throw ApiException.BadRequest(FieldName(key), $"must be at most {maxLength} characters.");
        }
        return Text(key, maxLength);
    }

    /// <summary>A flag JSON clients may also send as a boolean or a number, as text ("true", "false", "1").</summary>
    public string? Flag(string key) => node?[key] is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? (value.GetValueKind() == JsonValueKind.True ? "true" : "false")
        : TextOrNumber(key, 5);

    /// <summary>
    /// A list (<c>serviceId[]=1&amp;serviceId[]=2</c>, <c>serviceId[0]=1</c> or a JSON array) of scalars as text,
    /// in index order. A single scalar counts as a one-item list.
    /// </summary>
    public IReadOnlyList<string> List(string key)
    {
        var value = node?[key];
        return value switch
        {
            null => [],
            JsonArray items => [.. items.Select((item, i) => ListItem($"{FieldName(key)}[{i}]", item))],
            JsonObject keyed => [.. keyed.OrderBy(p => p.Key, IndexOrder.Instance).Select(p => ListItem($"{FieldName(key)}[{p.Key}]", p.Value))],
            _ => [Scalar(key, value)],
        };
    }

    /// <summary>
    /// A list of groups (<c>schedules[0][amount]=10&amp;schedules[1][amount]=20</c>, or a JSON array of objects), in
    /// index order; each keeps its full field name (<c>schedules[1][amount]</c>) for errors.
    /// </summary>
    public IReadOnlyList<FormSection> Sections(string key) => node?[key] switch
    {
        null => [],
        JsonArray items => [.. items.Select((item, i) => Group($"{FieldName(key)}[{i}]", item))],
        JsonObject keyed => [.. keyed.OrderBy(p => p.Key, IndexOrder.Instance).Select(p => Group($"{FieldName(key)}[{p.Key}]", p.Value))],
        _ => throw ApiException.BadRequest(FieldName(key), $"must be a list of groups, e.g. {FieldName(key)}[0][name]=..."),
    };

    private static FormSection Group(string name, JsonNode? item) =>
        item is JsonObject group ? new FormSection(name, group) : throw ApiException.BadRequest(name, "must be a group of fields.");

    /// <summary>A map (<c>serviceId[12]=25</c>, or a JSON object) of keys to scalar values as text.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Map(string key)
    {
        return node?[key] switch
        {
            null => [],
            JsonObject map => [.. map.Select(p => KeyValuePair.Create(p.Key, ListItem($"{FieldName(key)}[{p.Key}]", p.Value)))],
            _ => throw ApiException.BadRequest(FieldName(key), $"must be a map, e.g. {FieldName(key)}[12]=25."),
        };
    }

    private string? TextField(string key, int maxLength, bool trim, bool lineBreaks = false)
    {
        var value = node?[key];
        if (value is null) return null;
        if (value is not JsonValue scalar || scalar.GetValueKind() != JsonValueKind.String)
        {
            throw ApiException.BadRequest(FieldName(key), "must be text.");
        }
        return CheckText(FieldName(key), scalar, maxLength, trim, lineBreaks);
    }

    private string Scalar(string key, JsonNode value) =>
        value is JsonValue scalar ? ScalarText(FieldName(key), scalar)
            : throw ApiException.BadRequest(FieldName(key), "must be a single value.");

    private static string ListItem(string field, JsonNode? item) =>
        item is JsonValue scalar ? ScalarText(field, scalar) : throw ApiException.BadRequest(field, "must be a single value.");

    private static string ScalarText(string field, JsonValue scalar) => scalar.GetValueKind() switch
    {
        JsonValueKind.String => CheckText(field, scalar, 1024, trim: true) ?? "",
        JsonValueKind.Number => scalar.ToJsonString(),
        _ => throw ApiException.BadRequest(field, "must be text or a number."),
    };

    private static string? CheckText(string field, JsonValue scalar, int maxLength, bool trim, bool lineBreaks = false)
    {
        string text;
        try
        {
            text = scalar.GetValue<string>();
            if (trim) text = text.Trim();
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest(field, "is not valid text.");
        }
        if (text.Length == 0) return null;
        if (text.Length > maxLength) throw ApiException.BadRequest(field, $"must be at most {maxLength} characters.");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && !(lineBreaks && c is '\n' or '\r')) throw ApiException.BadRequest(field, "must not contain control characters.");
            // Bidirectional overrides and isolates make text display other than it reads (names in a dashboard,
            // references in an export), so they are refused too.
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C')
            {
                throw ApiException.BadRequest(field, "must not contain text-direction control characters.");
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) throw ApiException.BadRequest(field, "is not valid Unicode text.");
        }
        return text;
    }

    /// <summary>Orders list keys numerically when they are indexes ("2" before "10"), else ordinally.</summary>
    private sealed class IndexOrder : IComparer<string>
    {
        public static readonly IndexOrder Instance = new();

        public int Compare(string? x, string? y) =>
            long.TryParse(x, out var a) && long.TryParse(y, out var b) ? a.CompareTo(b) : string.CompareOrdinal(x, y);
    }
}
