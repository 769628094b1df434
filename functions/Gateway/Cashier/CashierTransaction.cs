using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Gateway.Payments;

namespace Gateway.Cashier;

/// <summary>
/// A deposit or withdrawal of a merchant's user (document 003), from the moment the merchant opens it. Stored in the
/// organisation's partition of the Payments table, so that it, its index rows, its tracking-id claim and the outbox
/// event of each status change commit together; its numeric id comes from the payments' id sequence, so its events
/// share the outbox, the delivery queue and the webhook log with payments'.
/// </summary>
public sealed record CashierTransaction
{
    public required long OrganisationId { get; init; }
    public required long Id { get; init; }

    /// <summary>The document's <c>transaction_id</c>: 15 lower-case letters and digits.</summary>
    public required string PublicId { get; init; }

    /// <summary>The document's <c>gateway_transaction_id</c>.</summary>
    public required string GatewayId { get; init; }

    public required string Type { get; init; }

    /// <summary>hosted, direct or s2s.</summary>
    public required string Flow { get; init; }

    public required string Mode { get; init; }
    public string Status { get; init; } = CashierStatuses.Pending;
    public string Stage { get; init; } = CashierStages.Session;
    public string? RejectedReason { get; init; }

    /// <summary>A payout's approval: <c>approved</c> or <c>rejected</c> once the merchant decided, else null.</summary>
    public string? Decision { get; init; }

    /// <summary>The hosted page's token (also the 3-D Secure page's, for server-to-server deposits).</summary>
    public required string Token { get; init; }

    public int? ProviderId { get; init; }

    /// <summary>
    /// The providers the organisation had enabled for this type when it was opened: what the page offers.
    /// </summary>
    public IReadOnlyList<int> Offered { get; init; } = [];

    /// <summary>The provider's own id of the transaction (<c>provider_transaction_id</c>).</summary>
    public string? ProviderReference { get; init; }

    public required string UserId { get; init; }
    public required string TrackingId { get; init; }
    public string? Ip { get; init; }
    public string Theme { get; init; } = "light";

    /// <summary>What is booked, in the organisation's currency.</summary>
    public required long AmountMinor { get; init; }

    public required string Currency { get; init; }

    /// <summary>What the merchant asked, in the user's currency.</summary>
    public required long UserAmountMinor { get; init; }

    public required string UserCurrency { get; init; }

    /// <summary>The conversion's margin, in the organisation's currency; 0 without a conversion.</summary>
    public long FxMinor { get; init; }

    /// <summary>False: the user may change the amount on the cashier page (up to the deposit limit).</summary>
    public bool AmountRestricted { get; init; } = true;

    public long? MaxDepositMinor { get; init; }

    /// <summary>The request's <c>customer</c> group as sent (names, contact, KYC status): no card data.</summary>
    public string Customer { get; init; } = "{}";

    /// <summary>
    /// Fingerprint of the request that opened it: a retry with its tracking id must be the same request.
    /// </summary>
    public required string RequestHash { get; init; }

    /// <summary>A payout's destination: the account number sealed by the card cipher, and what may be shown.</summary>
    public string? PayoutKeyId { get; init; }
    public string? PayoutAccountSealed { get; init; }
    public string? PayoutAccountMasked { get; init; }
    public string? PayoutHolder { get; init; }
    public string? PayoutBank { get; init; }

    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }

    /// <summary>Counts status changes; the outbox event's sequence.</summary>
    public int Version { get; init; }

    public ETag ETag { get; init; }

    public bool IsFinal => Status != CashierStatuses.Pending;

    public CashierProvider? Provider => ProviderId is { } id ? CashierProviders.Find(id) : null;

    public static string Row(long id) => $"{RowPrefix}{id:D12}";
    public const string RowPrefix = "csh-";

    /// <summary>Row keys sort as text; '.' follows '-', so "csh." is the first key after every "csh-..." one.</summary>
    public const string RowsEnd = "csh.";

    public static string PublicIdRow(string publicId) => "cid-" + publicId;

    /// <summary>
    /// Tracking ids are the merchant's text: stored by fingerprint, scoped to the organisation by the partition.
    /// </summary>
    public static string TrackingRow(string trackingId) =>
        "ctrk-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trackingId)));

    public static string TokenLookup(string token) => "cashier-" + token;

    public static string NewPublicId() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 15);

    /// <summary>50 letters and digits, like the document's example token: about 297 bits, unguessable.</summary>
    public static string NewToken() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 50);

    /// <summary>The transaction finished with <paramref name="status"/>, as its next version.</summary>
    public CashierTransaction Finish(string status, string? reason, DateTimeOffset now) => this with
    {
        Status = status, Stage = CashierStages.Done,
        RejectedReason = status == CashierStatuses.Rejected ? reason : null, Version = Version + 1, Updated = now,
    };

    /// <summary>The document's webhook fields, in its order; amounts as the merchant asked them (the user's).</summary>
    public JsonObject WebhookPayload() => new()
    {
        ["transaction_id"] = PublicId,
        ["user_id"] = UserId,
        ["tracking_id"] = TrackingId,
        ["status"] = Status,
        ["currency"] = UserCurrency,
        ["amount"] = Money.Format(UserAmountMinor),
        ["transaction_type"] = Type,
    };

    public PaymentEvent Event() =>
        new(Guid.CreateVersion7().ToString(), OrganisationId, Id, Version, WebhookKind, Status, WebhookPayload());

    /// <summary>The outbox kind of cashier events: delivered as signed JSON to the cashier webhook URL.</summary>
    public const string WebhookKind = Webhooks.WebhookDelivery.CashierKind;

    public TableEntity ToEntity() => new(PaymentRows.Partition(OrganisationId), Row(Id))
    {
        ["Kind"] = "cashier", ["PublicId"] = PublicId, ["GatewayId"] = GatewayId, ["Type"] = Type, ["Flow"] = Flow,
        ["Mode"] = Mode, ["Status"] = Status, ["Stage"] = Stage, ["RejectedReason"] = RejectedReason,
        ["Decision"] = Decision, ["Token"] = Token,
        ["ProviderId"] = ProviderId, ["Offered"] = string.Join(',', Offered), ["ProviderReference"] = ProviderReference,
        ["UserId"] = UserId, ["TrackingId"] = TrackingId, ["Ip"] = Ip, ["Theme"] = Theme, ["AmountMinor"] = AmountMinor,
        ["Currency"] = Currency, ["UserAmountMinor"] = UserAmountMinor, ["UserCurrency"] = UserCurrency,
        ["FxMinor"] = FxMinor, ["AmountRestricted"] = AmountRestricted, ["MaxDepositMinor"] = MaxDepositMinor,
        ["Customer"] = Customer, ["RequestHash"] = RequestHash, ["PayoutKeyId"] = PayoutKeyId,
        ["PayoutAccountSealed"] = PayoutAccountSealed, ["PayoutAccountMasked"] = PayoutAccountMasked,
        ["PayoutHolder"] = PayoutHolder, ["PayoutBank"] = PayoutBank, ["Created"] = Created, ["Updated"] = Updated,
        ["Version"] = Version,
    };

    public static CashierTransaction FromEntity(TableEntity e) => new()
    {
        OrganisationId = PaymentRows.OrganisationOf(e.PartitionKey),
        Id = long.Parse(e.RowKey.AsSpan(RowPrefix.Length), CultureInfo.InvariantCulture),
        PublicId = e.GetString("PublicId"), GatewayId = e.GetString("GatewayId"), Type = e.GetString("Type"),
        Flow = e.GetString("Flow"), Mode = e.GetString("Mode"), Status = e.GetString("Status"),
        Stage = e.GetString("Stage"), RejectedReason = e.GetString("RejectedReason"),
        Decision = e.GetString("Decision"), Token = e.GetString("Token"),
        ProviderId = e.GetInt32("ProviderId"), Offered = CashierProviders.ParseIds(e.GetString("Offered")),
        ProviderReference = e.GetString("ProviderReference"),
        UserId = e.GetString("UserId"), TrackingId = e.GetString("TrackingId"), Ip = e.GetString("Ip"),
        Theme = e.GetString("Theme") ?? "light", AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        Currency = e.GetString("Currency"), UserAmountMinor = e.GetInt64("UserAmountMinor") ?? 0,
        UserCurrency = e.GetString("UserCurrency"), FxMinor = e.GetInt64("FxMinor") ?? 0,
        AmountRestricted = e.GetBoolean("AmountRestricted") ?? true, MaxDepositMinor = e.GetInt64("MaxDepositMinor"),
        Customer = e.GetString("Customer") ?? "{}", RequestHash = e.GetString("RequestHash") ?? "",
        PayoutKeyId = e.GetString("PayoutKeyId"), PayoutAccountSealed = e.GetString("PayoutAccountSealed"),
        PayoutAccountMasked = e.GetString("PayoutAccountMasked"), PayoutHolder = e.GetString("PayoutHolder"),
        PayoutBank = e.GetString("PayoutBank"), Created = e.GetDateTimeOffset("Created") ?? DateTimeOffset.MinValue,
        Updated = e.GetDateTimeOffset("Updated") ?? DateTimeOffset.MinValue, Version = e.GetInt32("Version") ?? 0,
        ETag = e.ETag,
    };
}
