using Gateway.Platform;

namespace Gateway.Cashier;

/// <summary>Cashier settings, bound from the <c>Cashier</c> section and validated at start-up.</summary>
public sealed class CashierOptions
{
    public const string Section = "Cashier";

    /// <summary>
    /// Test mode's exchange rates: what one unit of each currency is worth in a common unit (any will do, the rates
    /// are only ever divided by each other). A deposit asked in the user's currency is booked in the organisation's
    /// at <c>rate(user) / rate(organisation)</c>. Live mode converts nothing until a rate source is integrated.
    /// </summary>
    public Dictionary<string, decimal> FxRates { get; set; } = new(StringComparer.Ordinal)
    {
        ["ZAR"] = 1m, ["USD"] = 18.20m, ["EUR"] = 19.70m, ["GBP"] = 23.00m,
    };

    /// <summary>
    /// The share of a converted amount kept for the conversion, shown as <c>fx_amount</c> (0 to 0.1).
    /// </summary>
    public decimal FxMargin { get; set; }

    /// <summary>
    /// How long a cashier page can be used; an untouched deposit or payout is then rejected as expired.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(1);

    public static bool AreValidRates(Dictionary<string, decimal> rates) =>
        rates.All(r => Currencies.Supported.Contains(r.Key) && r.Value > 0);
}
