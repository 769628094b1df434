using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Hosting;

/// <summary>
/// The custom-handler payload protocol: the Functions host POSTs <c>{Data, Metadata}</c> to <c>/{FunctionName}</c>
/// for queue and timer triggers and expects <c>{Outputs, Logs, ReturnValue}</c> back (non-2xx = failed, so the
/// host retries the queue message or waits for the next timer occurrence).
/// </summary>
public static class InvocationEnvelope
{
    /// <summary>Binding names used in the generated function.json, and so the keys under <c>Data</c>.</summary>
    public const string QueueBinding = "message";
    public const string TimerBinding = "timer";

    public sealed record Response(
        [property: JsonPropertyName("Outputs")] IReadOnlyDictionary<string, object?> Outputs,
        [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
        [property: JsonPropertyName("ReturnValue")] object? ReturnValue);

    public static Response Completed(string log) => new(new Dictionary<string, object?>(), [log], null);

    /// <summary>Reads a queue invocation, or returns null with the reason when the envelope is unusable.</summary>
    public static QueueTrigger? ReadQueue(JsonElement envelope, out string? problem)
    {
        problem = null;
        if (!TryGetData(envelope, QueueBinding, out var value, out problem)) return null;

        var body = value.ValueKind switch
        {
            JsonValueKind.String => Unwrap(value.GetString()!),
            JsonValueKind.Object or JsonValueKind.Array => value.GetRawText(),
            _ => null,
        };
        if (body is null)
        {
            problem = $"Data.{QueueBinding} must be a string or an object.";
            return null;
        }

        var metadata = envelope.TryGetProperty("Metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new QueueTrigger(
            body,
            MetadataString(metadata, "Id"),
            MetadataLong(metadata, "DequeueCount") ?? 1,
            DateTimeOffset.TryParse(MetadataString(metadata, "InsertionTime"), out var inserted) ? inserted : null);
    }

    public static TimerTrigger? ReadTimer(JsonElement envelope, out string? problem)
    {
        if (!TryGetData(envelope, TimerBinding, out var value, out problem)) return null;
        var pastDue = value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("IsPastDue", out var p) && p.ValueKind == JsonValueKind.True;
        return new TimerTrigger(pastDue);
    }

    /// <summary>
    /// The host hands a queue message to a custom handler as a string, and when it cannot turn the message into a
    /// JSON object it serializes the string once more, so <c>{"a":1}</c> can arrive as <c>"{\"a\":1}"</c> inside the
    /// JSON string. Our messages are JSON objects, never JSON string literals, so one more decode is unambiguous.
    /// </summary>
    public static string Unwrap(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"') return value;
        try
        {
            return JsonSerializer.Deserialize<string>(value) ?? value;
        }
        catch (JsonException)
        {
            return value;
        }
    }

    private static bool TryGetData(JsonElement envelope, string binding, out JsonElement value, out string? problem)
    {
        value = default;
        problem = null;
        if (envelope.ValueKind != JsonValueKind.Object
            || !envelope.TryGetProperty("Data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            problem = "The invocation has no Data object.";
            return false;
        }
        foreach (var property in data.EnumerateObject())
        {
            if (string.Equals(property.Name, binding, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        problem = $"The invocation's Data has no '{binding}' binding.";
        return false;
    }

    private static string? MetadataString(JsonElement metadata, string name) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? Unwrap(v.GetString()!)
            : null;

    private static long? MetadataLong(JsonElement metadata, string name)
    {
        if (metadata.ValueKind != JsonValueKind.Object || !metadata.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        return v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), out n) ? n : null;
    }
}
