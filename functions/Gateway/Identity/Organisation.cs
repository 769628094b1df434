using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Identity;

public static class OrganisationModes
{
    /// <summary>Payments only ever reach the simulator.</summary>
    public const string Test = "test";
    public const string Live = "live";

    public static bool IsValid(string mode) => mode is Test or Live;
}

/// <summary>
/// A merchant organisation. Stored as the <c>organisation</c> row of its own partition in the Identity table,
/// next to its users, so that a change touching both (licences in use, the administrator count) is one
/// entity-group transaction.
/// </summary>
public sealed record Organisation(
    long Id,
    string Name,
    string Currency,
    string TimeZone,
    string Mode,
    string ApiSalt,
    DateTimeOffset Created,
    IReadOnlyDictionary<int, int> Licences,
    IReadOnlyDictionary<int, int> LicencesInUse,
    int Administrators,
    ETag ETag = default)
{
    public const string RowKey = "organisation";

    /// <summary>Where the organisation's webhooks go and the secrets that sign them; kept on this row so one read serves a delivery.</summary>
    public WebhookSettings Webhooks { get; init; } = WebhookSettings.None;

    /// <summary>When card payments are authenticated with 3-D Secure (<see cref="ThreeDSecureModes"/>).</summary>
    public string ThreeDSecure { get; init; } = ThreeDSecureModes.WhenRequired;

    public ReceiptTemplates Receipts { get; init; } = ReceiptTemplates.None;

    /// <summary>
    /// Basket limits (document 004's <c>limitBasket</c>) are enforced: a code's basket must add up to its amount, so
    /// no payment of it can top up more than the basket names.
    /// </summary>
    public bool BasketLimits { get; init; }

    /// <summary>Over how many partitions its card payments spread; raised by operators only.</summary>
    public PaymentPartitions PaymentPartitions { get; init; } = PaymentPartitions.One;

    /// <summary>
    /// A test-mode organisation's own clock: while set, the organisation's time stands still at this instant until it
    /// is moved or reset (like a payment processor's test clock), so months of schedules run in seconds. Never set
    /// for live organisations.
    /// </summary>
    public DateTimeOffset? TestClock { get; init; }

    /// <summary>
    /// The organisation's now: its test clock when set, else real time. Everything the organisation sees as time
    /// (schedules, expiry of keys, links and cards, date filters, <c>created</c> stamps) reads this; leases, locks
    /// and retention, which protect the platform rather than the merchant, stay on real time.
    /// </summary>
    public DateTimeOffset Now(TimeProvider time) => Mode == OrganisationModes.Test && TestClock is { } clock ? clock : time.GetUtcNow();

    public TableEntity ToEntity()
    {
        var entity = new TableEntity(IdentityKeys.Partition(Id), RowKey)
        {
            ["Name"] = Name,
            ["Currency"] = Currency,
            ["TimeZone"] = TimeZone,
            ["Mode"] = Mode,
            ["ApiSalt"] = ApiSalt,
            ["Created"] = Created,
            ["Licences"] = JsonSerializer.Serialize(Licences),
            ["LicencesInUse"] = JsonSerializer.Serialize(LicencesInUse),
            ["Administrators"] = Administrators,
            ["TestClock"] = TestClock,
        };
        Webhooks.WriteTo(entity);
        entity["ThreeDSecure"] = ThreeDSecure;
        entity["BasketLimits"] = BasketLimits;
        entity["PaymentPartitions"] = PaymentPartitions.ToJson();
        Receipts.WriteTo(entity);
        entity.ETag = ETag;
        return entity;
    }

    public static Organisation FromEntity(long id, TableEntity e) => new(
        id,
        e.GetString("Name")!,
        e.GetString("Currency")!,
        e.GetString("TimeZone")!,
        e.GetString("Mode")!,
        e.GetString("ApiSalt")!,
        e.GetDateTimeOffset("Created")!.Value,
        JsonSerializer.Deserialize<Dictionary<int, int>>(e.GetString("Licences") ?? "{}")!,
        JsonSerializer.Deserialize<Dictionary<int, int>>(e.GetString("LicencesInUse") ?? "{}")!,
        e.GetInt32("Administrators") ?? 0,
        e.ETag)
    {
        Webhooks = WebhookSettings.ReadFrom(e),
        ThreeDSecure = e.GetString("ThreeDSecure") ?? ThreeDSecureModes.WhenRequired,
        BasketLimits = e.GetBoolean("BasketLimits") ?? false,
        PaymentPartitions = PaymentPartitions.FromJson(e.GetString("PaymentPartitions")),
        Receipts = ReceiptTemplates.ReadFrom(e),
        TestClock = e.GetDateTimeOffset("TestClock"),
    };
}

/// <summary>
/// The organisation's webhook URLs per kind of event and its signing secret. After a rotation the previous secret
/// still signs until <see cref="PreviousSecretUntil"/>, so receivers can switch over without losing events.
/// </summary>
public sealed record WebhookSettings(string? SuccessUrl, string? ErrorUrl, string? RefundUrl, string? Secret, string? PreviousSecret, DateTimeOffset? PreviousSecretUntil)
{
    public static readonly WebhookSettings None = new(null, null, null, null, null, null);

    public static string NewSecret() => "whsec_" + Secrets.Base64Url(24);

    /// <summary>
    /// Where the cashier's JSON webhooks go (document 003), checked by the same request forgery guard as the others.
    /// </summary>
    public string? CashierUrl { get; init; }

    /// <summary>Where the collections' batched JSON webhooks go (document 002).</summary>
    public string? CollectionsUrl { get; init; }

    /// <summary>
    /// The cashier's signature password: document 003's <c>x-signature</c> is SHA-1 of the JSON body followed by it.
    /// Shown to the organisation's users only; a rotation replaces it at once (the scheme has no room for two).
    /// </summary>
    public string? SignaturePassword { get; init; }

    /// <summary><c>spg_{mode}_</c> and 40 random letters and digits, in the document's style.</summary>
    public static string NewSignaturePassword(string mode) =>
        $"spg_{mode}_" + System.Security.Cryptography.RandomNumberGenerator.GetString(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40);

    /// <summary>The URL for an event kind (success, error, refund); pending events have none.</summary>
    public string? UrlFor(string kind) => kind switch
    {
        "success" => SuccessUrl,
        "error" => ErrorUrl,
        "refund" => RefundUrl,
        "cashier" => CashierUrl,
        "collections" => CollectionsUrl,
        _ => null,
    };

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and the previous one during its overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        [.. new[] { Secret, PreviousSecretUntil > now ? PreviousSecret : null }.OfType<string>()];

    public void WriteTo(TableEntity entity)
    {
        entity["WebhookSuccessUrl"] = SuccessUrl;
        entity["WebhookErrorUrl"] = ErrorUrl;
        entity["WebhookRefundUrl"] = RefundUrl;
        entity["WebhookSecret"] = Secret;
        entity["WebhookPreviousSecret"] = PreviousSecret;
        entity["WebhookPreviousSecretUntil"] = PreviousSecretUntil;
        entity["WebhookCashierUrl"] = CashierUrl;
        entity["WebhookCollectionsUrl"] = CollectionsUrl;
        entity["CashierSignaturePassword"] = SignaturePassword;
    }

    public static WebhookSettings ReadFrom(TableEntity e) => new(
        e.GetString("WebhookSuccessUrl"), e.GetString("WebhookErrorUrl"), e.GetString("WebhookRefundUrl"),
        e.GetString("WebhookSecret"), e.GetString("WebhookPreviousSecret"), e.GetDateTimeOffset("WebhookPreviousSecretUntil"))
    {
        CashierUrl = e.GetString("WebhookCashierUrl"),
        CollectionsUrl = e.GetString("WebhookCollectionsUrl"),
        SignaturePassword = e.GetString("CashierSignaturePassword"),
    };
}

/// <summary>Partition and row keys of the Identity table.</summary>
public static class IdentityKeys
{
    /// <summary>Operators belong to no organisation and live in the platform partition.</summary>
    public const string PlatformPartition = "platform";

    public static string Partition(long? organisationId) =>
        organisationId is { } id ? $"org-{id:D10}" : PlatformPartition;

    public static string UserRow(long userId) => $"user-{userId:D10}";
    public const string UserRowPrefix = "user-";
}
