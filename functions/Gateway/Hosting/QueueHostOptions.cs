using System.Text.Json;

namespace Gateway.Hosting;

/// <summary>
/// The queue trigger settings of host.json (<c>extensions.queues</c>). The Functions host applies them in Azure;
/// the local poller reads the same file so that retries, poison handling and polling behave the same locally.
/// Defaults are the host's own.
/// </summary>
public sealed class QueueHostOptions
{
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;
    public int BatchSize { get; set; } = 16;

    /// <summary>Fetch the next batch once this few messages are still being processed (the host's default: half a batch).</summary>
    public int? NewBatchThreshold { get; set; }
    public int MaxDequeueCount { get; set; } = 5;
    public string MessageEncoding { get; set; } = "base64";

    /// <summary>How long a received message stays invisible while it is processed (the host uses 10 minutes).</summary>
    public TimeSpan ProcessingVisibility { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Reads <c>extensions.queues</c> from host.json next to the executable, if present.</summary>
    public static void LoadFromHostJson(QueueHostOptions options, string path)
    {
        if (!File.Exists(path)) return;
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!document.RootElement.TryGetProperty("extensions", out var extensions)
            || !extensions.TryGetProperty("queues", out var queues))
        {
            return;
        }
        foreach (var setting in queues.EnumerateObject())
        {
            switch (setting.Name.ToUpperInvariant())
            {
                case "MAXPOLLINGINTERVAL": options.MaxPollingInterval = TimeSpan.Parse(setting.Value.GetString()!, System.Globalization.CultureInfo.InvariantCulture); break;
                case "VISIBILITYTIMEOUT": options.VisibilityTimeout = TimeSpan.Parse(setting.Value.GetString()!, System.Globalization.CultureInfo.InvariantCulture); break;
                case "BATCHSIZE": options.BatchSize = setting.Value.GetInt32(); break;
                case "NEWBATCHTHRESHOLD": options.NewBatchThreshold = setting.Value.GetInt32(); break;
                case "MAXDEQUEUECOUNT": options.MaxDequeueCount = setting.Value.GetInt32(); break;
                case "MESSAGEENCODING": options.MessageEncoding = setting.Value.GetString()!; break;
            }
        }
    }

    public static IEnumerable<string> Validate(QueueHostOptions o)
    {
        if (o.MaxPollingInterval < TimeSpan.FromMilliseconds(100)) yield return "maxPollingInterval must be at least 100 ms.";
        if (o.VisibilityTimeout < TimeSpan.Zero || o.VisibilityTimeout > TimeSpan.FromDays(7)) yield return "visibilityTimeout must be between 0 and 7 days.";
        if (o.BatchSize is < 1 or > 32) yield return "batchSize must be between 1 and 32.";
        if (o.NewBatchThreshold < 0) yield return "newBatchThreshold must not be negative.";
        if (o.MaxDequeueCount < 1) yield return "maxDequeueCount must be at least 1.";
        if (!string.Equals(o.MessageEncoding, "base64", StringComparison.OrdinalIgnoreCase))
        {
            yield return "messageEncoding must be base64: every message the gateway writes is base64-encoded.";
        }
    }
}
