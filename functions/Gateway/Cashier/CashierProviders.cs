namespace Gateway.Cashier;

/// <summary>
/// A way to pay in or out that the cashier offers. <see cref="Id"/> is what <c>provider_id</c> and <c>routing_id</c>
/// name; <see cref="Name"/> is the list's <c>payment_provider</c>.
/// </summary>
public sealed record CashierProvider(int Id, string Name, string Title, string Type, string Method);

/// <summary>
/// The providers behind the cashier. Test mode reaches only simulators: cards and instant EFT through the gateway's
/// simulated acquirer, payouts through <see cref="SimulatedPayoutBank"/>.
/// </summary>
public static class CashierProviders
{
    public static readonly CashierProvider Card = new(210, "card_simulator", "Card", CashierTypes.Deposit, "card");
    public static readonly CashierProvider Eft = new(211, "eft_simulator", "Instant EFT", CashierTypes.Deposit, "eft");
    public static readonly CashierProvider BankTransfer =
        new(310, "bank_transfer_simulator", "Bank transfer", CashierTypes.Withdrawal, "bank");

    public static readonly IReadOnlyList<CashierProvider> All = [Card, Eft, BankTransfer];

    public static CashierProvider? Find(int id) => All.FirstOrDefault(p => p.Id == id);

    public static IEnumerable<CashierProvider> For(string type) => All.Where(p => p.Type == type);

    /// <summary>Ids as stored ("210,211"); ids no longer in the catalogue are dropped.</summary>
    public static IReadOnlyList<int> ParseIds(string? text) =>
    [
        .. (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var id)
                ? Find(id)
                : null)
            .OfType<CashierProvider>().Select(p => p.Id),
    ];
}

public static class CashierTypes
{
    public const string Deposit = "deposit";
    public const string Withdrawal = "withdrawal";
}

/// <summary>The document's three statuses.</summary>
public static class CashierStatuses
{
    public const string Pending = "pending";
    public const string Successful = "successful";
    public const string Rejected = "rejected";
}

/// <summary>Where a pending transaction stands; a final one is <see cref="Done"/>.</summary>
public static class CashierStages
{
    /// <summary>The cashier page is open: the user has not chosen a provider yet.</summary>
    public const string Session = "session";

    /// <summary>A card deposit waits for the user's 3-D Secure authentication.</summary>
    public const string Authenticating = "authenticating";

    /// <summary>A payout the user asked for waits for the merchant to approve or reject it.</summary>
    public const string Requested = "requested";

    /// <summary>An approved payout waits for the provider (the payout runner sends it).</summary>
    public const string Approved = "approved";

    public const string Done = "done";
}
