namespace Gateway.Platform;

/// <summary>The ISO 4217 currencies an organisation may use. ZAR is the default, as the API documents say.</summary>
public static class Currencies
{
    public const string Default = "ZAR";

    public static IReadOnlySet<string> Supported { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ZAR", "USD", "EUR", "GBP", "BWP", "NAD", "LSL", "SZL", "KES", "NGN", "GHS", "MUR", "TJS",
    };
}
