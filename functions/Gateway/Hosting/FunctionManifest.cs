using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Hosting;

/// <summary>
/// Writes the deployment layout the Functions host reads: <c>{FunctionName}/function.json</c> for each function.
/// Run by the publish step (<c>Gateway write-functions {publishDir}</c>), from the same list the app routes by.
/// </summary>
public static class FunctionManifest
{
    public const string StorageConnection = "AzureWebJobsStorage";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Describe(FunctionDefinition function) => function switch
    {
        // HTTP functions have exactly one httpTrigger and one http output, the shape the host forwards as-is.
        HttpFunction http => Bindings(
            new JsonObject
            {
                ["type"] = "httpTrigger",
                ["direction"] = "in",
                ["name"] = "req",
                ["authLevel"] = "anonymous",
                ["methods"] = new JsonArray([.. http.Methods.Select(m => JsonValue.Create(m.ToLowerInvariant()))]),
                ["route"] = http.Route,
            },
            new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
        QueueFunction queue => Bindings(new JsonObject
        {
            ["type"] = "queueTrigger",
            ["direction"] = "in",
            ["name"] = InvocationEnvelope.QueueBinding,
            ["queueName"] = queue.QueueName,
            ["connection"] = StorageConnection,
        }),
        TimerFunction timer => Bindings(new JsonObject
        {
            ["type"] = "timerTrigger",
            ["direction"] = "in",
            ["name"] = InvocationEnvelope.TimerBinding,
            ["schedule"] = timer.Schedule,
            ["runOnStartup"] = false,
            ["useMonitor"] = true,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown kind of function."),
    };

    /// <summary>Writes one folder per function under <paramref name="appRoot"/>, replacing stale function folders.</summary>
    public static void Write(string appRoot, IReadOnlyList<FunctionDefinition> functions)
    {
        foreach (var stale in Directory.Exists(appRoot) ? Directory.GetDirectories(appRoot) : [])
        {
            if (File.Exists(Path.Combine(stale, "function.json"))) Directory.Delete(stale, recursive: true);
        }
        foreach (var function in functions)
        {
            var folder = Path.Combine(appRoot, function.Name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "function.json"), Describe(function).ToJsonString(Indented) + "\n");
        }
    }

    private static JsonObject Bindings(params JsonObject[] bindings) => new() { ["bindings"] = new JsonArray(bindings) };
}
