using System.Globalization;
using System.Text.Json;

namespace Gateway.Storage;

/// <summary>
/// Entity bodies in the Table service's OData JSON: types the JSON can't carry get an @odata.type annotation on
/// write, and annotations from minimalmetadata responses restore them on read.
/// </summary>
internal static class TableEntityJson
{
    private const string TypeSuffix = "@odata.type";

    public static byte[] Serialize(TableEntity entity)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("PartitionKey", entity.PartitionKey);
            writer.WriteString("RowKey", entity.RowKey);
            foreach (var (name, value) in entity.Properties)
            {
                WriteProperty(writer, name, value!);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads one entity object. Known keys (a point read, possibly with $select) take precedence over the body.
    /// </summary>
    public static TableEntity Read(JsonElement json, string? partitionKey = null, string? rowKey = null)
    {
        var entity = TableEntity.FromService(
            partitionKey ?? StringOrEmpty(json, "PartitionKey"),
            rowKey ?? StringOrEmpty(json, "RowKey"));
        foreach (var property in json.EnumerateObject())
        {
            var name = property.Name;
            if (name == "odata.etag")
            {
                entity.ETag = property.Value.GetString();
                continue;
            }
            if (name.StartsWith("odata.", StringComparison.Ordinal) || name.EndsWith(TypeSuffix, StringComparison.Ordinal)
                || name is "PartitionKey" or "RowKey" || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            var type = json.TryGetProperty(name + TypeSuffix, out var annotation) ? annotation.GetString() : null;
            var value = ReadValue(property.Value, type, name);
            if (name == "Timestamp")
            {
                entity.Timestamp = value as DateTimeOffset? ?? ParseDateTime(property.Value.GetString()!);
                continue;
            }
            entity.SetFromService(name, value);
        }
        return entity;
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, object value)
    {
        switch (value)
        {
            case string text:
                writer.WriteString(name, text);
                break;
            case int number:
                writer.WriteNumber(name, number);
                break;
            case bool flag:
                writer.WriteBoolean(name, flag);
                break;
            case long number:
                // Int64 travels as a string: JSON readers may round numbers beyond 2^53.
                Annotated(writer, name, "Edm.Int64", number.ToString(CultureInfo.InvariantCulture));
                break;
            case double number when double.IsFinite(number):
                // Always annotated: 2.0 would otherwise be written as 2 and stored as Int32.
                writer.WriteString(name + TypeSuffix, "Edm.Double");
                writer.WriteNumber(name, number);
                break;
            case double number:
                Annotated(writer, name, "Edm.Double", double.IsNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity");
                break;
            case DateTimeOffset time:
                Annotated(writer, name, "Edm.DateTime", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
                break;
            case Guid guid:
                Annotated(writer, name, "Edm.Guid", guid.ToString("D"));
                break;
            case byte[] bytes:
                Annotated(writer, name, "Edm.Binary", Convert.ToBase64String(bytes));
                break;
            default:
                throw new InvalidOperationException($"Property '{name}' has unsupported type {value.GetType().Name}.");
        }
    }

    private static void Annotated(Utf8JsonWriter writer, string name, string type, string value)
    {
        writer.WriteString(name + TypeSuffix, type);
        writer.WriteString(name, value);
    }

    private static object ReadValue(JsonElement value, string? type, string name)
    {
        try
        {
            return type switch
            {
                "Edm.Int64" => value.ValueKind == JsonValueKind.String
                    ? long.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
                    : value.GetInt64(),
                "Edm.Int32" => value.ValueKind == JsonValueKind.String
                    ? int.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
                    : value.GetInt32(),
                "Edm.Double" => value.ValueKind == JsonValueKind.String
                    ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
                    : value.GetDouble(),
                "Edm.DateTime" => ParseDateTime(value.GetString()!),
                "Edm.Guid" => Guid.Parse(value.GetString()!),
                "Edm.Binary" => Convert.FromBase64String(value.GetString()!),
                "Edm.Boolean" => value.GetBoolean(),
                "Edm.String" or null => Untyped(value),
                _ => throw new FormatException($"unknown type {type}"),
            };
        }
        catch (Exception exception) when (exception is FormatException or InvalidOperationException or OverflowException)
        {
            throw new StorageException(200, null, $"The service returned property '{name}' in an unreadable form ({type ?? "no type"}).", exception);
        }
    }

    // Without an annotation the JSON type decides: Int32 for whole numbers that fit, else Double (Azurite writes a
    // whole Double as "2.0", which is not an Int32 literal).
    private static object Untyped(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.TryGetInt32(out var number) ? (object)number : value.GetDouble(),
        _ => throw new FormatException($"unexpected JSON {value.ValueKind}"),
    };

    private static DateTimeOffset ParseDateTime(string text) => DateTimeOffset.Parse(
        text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string StringOrEmpty(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
