using System.Text.Json;

namespace Gateway.Api;

/// <summary>The JSON conventions of the v1 API: snake_case names, nulls written out as the documents show them.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        return options;
    }
}
