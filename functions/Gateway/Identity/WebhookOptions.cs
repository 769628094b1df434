using System.Globalization;

namespace Gateway.Identity;

/// <summary>Webhook settings, bound from the <c>Webhooks</c> section and validated at start-up.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>The default retry delays: ten attempts over about 3 days 20 hours, so a receiver down over a long weekend still hears.</summary>
    public const string DefaultRetrySchedule = "1m,5m,30m,2h,6h,12h,24h,24h,24h";

    /// <summary>
    /// Lets webhooks go to loopback addresses (localhost, 127.0.0.0/8, ::1). Only for local development and tests,
    /// where the receiver runs on the same machine; every other private range stays refused.
    /// </summary>
    public bool AllowLoopback { get; set; }

    /// <summary>The delays before each retry, comma-separated (<c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>); one attempt more than delays.</summary>
    public string RetrySchedule { get; set; } = DefaultRetrySchedule;

    /// <summary>How long the previous signing secret still signs after a rotation.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a receiver has to answer one attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How old a never-attempted outbox event must be before the sweep enqueues it again (its enqueue was lost).</summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromMinutes(10);

    public IReadOnlyList<TimeSpan> RetryDelays => ParseSchedule(RetrySchedule) ?? [];

    /// <summary>The delays, or null when the text is not a list of positive durations (queue delays stop at 7 days).</summary>
    public static IReadOnlyList<TimeSpan>? ParseSchedule(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var delays = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var unit = part.EndsWith("ms", StringComparison.Ordinal) ? "ms" : part.Length > 0 ? part[^1..] : "";
            if (!double.TryParse(part.AsSpan(0, part.Length - unit.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return null;
            TimeSpan? delay = unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                _ => null,
            };
            if (delay is not { } d || d <= TimeSpan.Zero || d > TimeSpan.FromDays(7)) return null;
            delays.Add(d);
        }
        return delays;
    }
}
