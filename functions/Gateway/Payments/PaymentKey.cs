using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Payments;

/// <summary>Where a payment key is in its life: open to pay, held by an attempt in flight, or paid (at most once).</summary>
public static class PaymentKeyStates
{
    public const string Open = "open";

    /// <summary>An attempt is with the acquirer or at its 3-D Secure challenge; others wait for its outcome.</summary>
    public const string Processing = "processing";
    public const string Paid = "paid";

    /// <summary>Withdrawn by the merchant (an express link cancelled): never payable again.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>The custom beneficiary of an EFT, accepted only with the hash the merchant computed with its API salt.</summary>
public sealed record Beneficiary(string AccountNumber, string Name, string AccountType, string Bank);

/// <summary>
/// A payment set up by the merchant (<c>POST /api/v1/payment-key</c>) for a payer to complete on the hosted pages.
/// Stored in the organisation's partition, next to the transactions it leads to; the Lookups table maps the key to
/// the organisation for the unauthenticated pages. <see cref="TransactionId"/> is the attempt holding it or the
/// transaction that paid it.
/// </summary>
public sealed record PaymentKey
{
    public required string Key { get; init; }
    public required long OrganisationId { get; init; }
    public long? UserId { get; init; }
    public string? Username { get; init; }
    public required long AmountMinor { get; init; }
    public required string Currency { get; init; }
    public required string MerchantReference { get; init; }
    public string? CustomerReference { get; init; }
    public string? SuccessUrl { get; init; }
    public string? ErrorUrl { get; init; }
    public string? CancelUrl { get; init; }
    public string? NotifyUrl { get; init; }
    public string? PendingUrl { get; init; }
    public string? PaymentType { get; init; }
    public string? CustomerBank { get; init; }

    /// <summary>A single reference, or one per bank (<c>{"absa": "...", "fnb": "..."}</c>), as JSON.</summary>
    public string? ListedBeneficiaryAccount { get; init; }
    public string? DefaultBeneficiaryReference { get; init; }
    public Beneficiary? Beneficiary { get; init; }
    public bool IsAuthorisation { get; init; }

    /// <summary>A stored card of the organisation to pay with (<c>card_token</c>), and whether 3-D Secure may be asked.</summary>
    public Guid? CardToken { get; init; }
    /// <summary><c>card_token_3ds</c>: 1 always, 0 never, absent the organisation's 3-D Secure setting.</summary>
    public bool? CardToken3ds { get; init; }

    /// <summary>
    /// What the payment's transaction carries in its <c>gateway_response_parameters</c> besides the acquirer's answer
    /// (a payable code's code, sub-merchant, terminal and second RRN).
    /// </summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();
    public required bool IsDemo { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Expires { get; init; }
    public string State { get; init; } = PaymentKeyStates.Open;
    public long? TransactionId { get; init; }

    /// <summary>The payment method of the attempt holding (or last holding) the key.</summary>
    public string? AttemptType { get; init; }
    public DateTimeOffset? HeldUntil { get; init; }

    /// <summary>Random per write, to recognise an own write whose answer was lost.</summary>
    public string? WriteId { get; init; }
    public ETag ETag { get; init; }

    public bool IsExpired(DateTimeOffset now) => now >= Expires;

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.Partition(OrganisationId), PaymentRows.PaymentKeyRow(Key))
        {
            ["Kind"] = "payment-key",
            ["UserId"] = UserId,
            ["Username"] = Username,
            ["AmountMinor"] = AmountMinor,
            ["Currency"] = Currency,
            ["MerchantReference"] = MerchantReference,
            ["CustomerReference"] = CustomerReference,
            ["SuccessUrl"] = SuccessUrl,
            ["ErrorUrl"] = ErrorUrl,
            ["CancelUrl"] = CancelUrl,
            ["NotifyUrl"] = NotifyUrl,
            ["PendingUrl"] = PendingUrl,
            ["PaymentType"] = PaymentType,
            ["CustomerBank"] = CustomerBank,
            ["ListedBeneficiaryAccount"] = ListedBeneficiaryAccount,
            ["DefaultBeneficiaryReference"] = DefaultBeneficiaryReference,
            ["Beneficiary"] = Beneficiary is null ? null : JsonSerializer.Serialize(Beneficiary),
            ["IsAuthorisation"] = IsAuthorisation,
            ["CardToken"] = CardToken,
            ["CardToken3ds"] = CardToken3ds,
            ["Details"] = Details.Count == 0 ? null : JsonSerializer.Serialize(Details),
            ["IsDemo"] = IsDemo,
            ["Created"] = Created,
            ["Expires"] = Expires,
            ["State"] = State,
            ["TransactionId"] = TransactionId,
            ["HeldUntil"] = HeldUntil,
            ["AttemptType"] = AttemptType,
            ["WriteId"] = WriteId,
        };
        e.ETag = ETag;
        return e;
    }

    public static PaymentKey FromEntity(long organisationId, string key, TableEntity e) => new()
    {
        Key = key,
        OrganisationId = organisationId,
        UserId = e.GetInt64("UserId"),
        Username = e.GetString("Username"),
        AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        Currency = e.GetString("Currency")!,
        MerchantReference = e.GetString("MerchantReference")!,
        CustomerReference = e.GetString("CustomerReference"),
        SuccessUrl = e.GetString("SuccessUrl"),
        ErrorUrl = e.GetString("ErrorUrl"),
        CancelUrl = e.GetString("CancelUrl"),
        NotifyUrl = e.GetString("NotifyUrl"),
        PendingUrl = e.GetString("PendingUrl"),
        PaymentType = e.GetString("PaymentType"),
        CustomerBank = e.GetString("CustomerBank"),
        ListedBeneficiaryAccount = e.GetString("ListedBeneficiaryAccount"),
        DefaultBeneficiaryReference = e.GetString("DefaultBeneficiaryReference"),
        Beneficiary = e.GetString("Beneficiary") is { } b ? JsonSerializer.Deserialize<Beneficiary>(b) : null,
        IsAuthorisation = e.GetBoolean("IsAuthorisation") ?? false,
        CardToken = e.GetGuid("CardToken"),
        CardToken3ds = e.GetBoolean("CardToken3ds"),
        Details = e.GetString("Details") is { } details ? JsonSerializer.Deserialize<Dictionary<string, string>>(details)!
            : new Dictionary<string, string>(),
        IsDemo = e.GetBoolean("IsDemo") ?? false,
        Created = e.GetDateTimeOffset("Created")!.Value,
        Expires = e.GetDateTimeOffset("Expires")!.Value,
        State = e.GetString("State") ?? PaymentKeyStates.Open,
        TransactionId = e.GetInt64("TransactionId"),
        HeldUntil = e.GetDateTimeOffset("HeldUntil"),
        AttemptType = e.GetString("AttemptType"),
        WriteId = e.GetString("WriteId"),
        ETag = e.ETag,
    };
}
