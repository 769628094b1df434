using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Gateway.Payments;

namespace Gateway.Codes;

public static class CodeStates
{
    public const string Active = "active";

    /// <summary>Held back by the merchant (<c>PUT /api/code/{code}/block</c>) until unblocked.</summary>
    public const string Blocked = "blocked";

    public const string Deleted = "deleted";
}

/// <summary>A basket item the document's <c>limitBasket</c> names: a top-up for a mobile number.</summary>
public sealed record BasketLimit(string Destination, string ItemType, long AmountMinor);

/// <summary>
/// A payable code (document 004): ten digits a payer scans, taps or types, which pays the merchant. Stored in the
/// organisation's partition of the Payments table, the ledger its payments land in. A use-once code owns one payment
/// key, written with it, and is paid through that key's holds, so it is paid at most once whoever races for it; a
/// reusable code makes a fresh key for each payment. Whether a use-once code was paid is its key's state.
/// </summary>
public sealed record PayableCode
{
    public required string Code { get; init; }
    public required long OrganisationId { get; init; }

    /// <summary>0: the payer chooses the amount.</summary>
    public required long AmountMinor { get; init; }

    public required string Currency { get; init; }
    public required string MerchantReference { get; init; }
    public required string ShortDescription { get; init; }

    /// <summary>Null: never expires.</summary>
    public DateTimeOffset? Expires { get; init; }

    public bool UseOnce { get; init; } = true;
    public bool RequestPartialPayment { get; init; }
    public bool RequestTip { get; init; }
    public string? SubMerchantName { get; init; }
    public string? TerminalId { get; init; }
    public IReadOnlyList<string> SmsNotify { get; init; } = [];
    public IReadOnlyList<string> EmailNotify { get; init; } = [];
    public string? Rrn2 { get; init; }
    public IReadOnlyList<BasketLimit> LimitBasket { get; init; } = [];
    public string? ProductUrl { get; init; }
    public string State { get; init; } = CodeStates.Active;
    public required DateTimeOffset Created { get; init; }

    /// <summary>A use-once code's payment key; null for a reusable one.</summary>
    public string? PaymentKey { get; init; }

    public ETag ETag { get; init; }

    public bool IsVariable => AmountMinor == 0;

    public bool IsExpired(DateTimeOffset now) => Expires is { } until && now >= until;

    /// <summary>What a payment of this code carries to its transaction's <c>gateway_response_parameters</c>.</summary>
    public IReadOnlyDictionary<string, string> Details() => new Dictionary<string, string?>
    {
        ["code"] = Code, ["sub_merchant_name"] = SubMerchantName, ["terminal_id"] = TerminalId, ["rrn2"] = Rrn2,
    }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.Partition(OrganisationId), CodeRows.Row(Code))
        {
            ["Kind"] = "code",
            ["AmountMinor"] = AmountMinor,
            ["Currency"] = Currency,
            ["MerchantReference"] = MerchantReference,
            ["ShortDescription"] = ShortDescription,
            ["Expires"] = Expires,
            ["UseOnce"] = UseOnce,
            ["RequestPartialPayment"] = RequestPartialPayment,
            ["RequestTip"] = RequestTip,
            ["SubMerchantName"] = SubMerchantName,
            ["TerminalId"] = TerminalId,
            ["SmsNotify"] = JsonSerializer.Serialize(SmsNotify),
            ["EmailNotify"] = JsonSerializer.Serialize(EmailNotify),
            ["Rrn2"] = Rrn2,
            ["LimitBasket"] = JsonSerializer.Serialize(LimitBasket),
            ["ProductUrl"] = ProductUrl,
            ["State"] = State,
            ["Created"] = Created,
            ["PaymentKey"] = PaymentKey,
        };
        e.ETag = ETag;
        return e;
    }

    public static PayableCode FromEntity(long organisationId, string code, TableEntity e) => new()
    {
        Code = code,
        OrganisationId = organisationId,
        AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        Currency = e.GetString("Currency")!,
        MerchantReference = e.GetString("MerchantReference")!,
        ShortDescription = e.GetString("ShortDescription")!,
        Expires = e.GetDateTimeOffset("Expires"),
        UseOnce = e.GetBoolean("UseOnce") ?? true,
        RequestPartialPayment = e.GetBoolean("RequestPartialPayment") ?? false,
        RequestTip = e.GetBoolean("RequestTip") ?? false,
        SubMerchantName = e.GetString("SubMerchantName"),
        TerminalId = e.GetString("TerminalId"),
        SmsNotify = JsonSerializer.Deserialize<string[]>(e.GetString("SmsNotify") ?? "[]")!,
        EmailNotify = JsonSerializer.Deserialize<string[]>(e.GetString("EmailNotify") ?? "[]")!,
        Rrn2 = e.GetString("Rrn2"),
        LimitBasket = JsonSerializer.Deserialize<BasketLimit[]>(e.GetString("LimitBasket") ?? "[]")!,
        ProductUrl = e.GetString("ProductUrl"),
        State = e.GetString("State") ?? CodeStates.Active,
        Created = e.GetDateTimeOffset("Created")!.Value,
        PaymentKey = e.GetString("PaymentKey"),
        ETag = e.ETag,
    };
}

/// <summary>Row keys of codes: the row in the organisation's partition, and the platform-wide lookup of the digits.</summary>
public static class CodeRows
{
    public static string Row(string code) => $"code-{code}";

    public static string Lookup(string code) => $"payable-code-{code}";
}
