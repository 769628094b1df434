using System.Text;
using Azure;
using Azure.Data.Tables;
using Gateway.Payments;

namespace Gateway.Express;

public static class ExpressChannels
{
    public const string Sms = "sms";
    public const string Email = "email";
}

public static class ExpressStatuses
{
    public const string Active = "active";

    /// <summary>Cancelled through <c>DELETE /api/v1/express</c>; the API's answer calls it "deleted", as the document does.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>
/// An express (pay-by-link) transaction: a payment key sent to a payer by SMS or e-mail as a short link
/// (<c>/u/{code}</c>). Stored in the organisation's partition of the Payments table next to its key, so that
/// creating or cancelling one writes both in one entity-group transaction. Whether it was paid is the key's state.
/// </summary>
public sealed record ExpressLink
{
    public required long Id { get; init; }
    public required long OrganisationId { get; init; }
    public required string Code { get; init; }
    public required string PaymentKey { get; init; }
    public required string Channel { get; init; }
    public required string Recipient { get; init; }
    public required string Reference { get; init; }
    public required long AmountMinor { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Expires { get; init; }
    public string Status { get; init; } = ExpressStatuses.Active;

    /// <summary>Set once the notification went out; a redelivered queue message then sends nothing.</summary>
    public DateTimeOffset? Notified { get; init; }

    public ETag ETag { get; init; }

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.Partition(OrganisationId), ExpressRows.Row(Id))
        {
            ["Kind"] = "express",
            ["Code"] = Code,
            ["PaymentKey"] = PaymentKey,
            ["Channel"] = Channel,
            ["Recipient"] = Recipient,
            ["Reference"] = Reference,
            ["AmountMinor"] = AmountMinor,
            ["Currency"] = Currency,
            ["Created"] = Created,
            ["Expires"] = Expires,
            ["Status"] = Status,
            ["Notified"] = Notified,
        };
        e.ETag = ETag;
        return e;
    }

    public static ExpressLink FromEntity(long organisationId, TableEntity e) => new()
    {
        Id = ExpressRows.Id(e.RowKey),
        OrganisationId = organisationId,
        Code = e.GetString("Code")!,
        PaymentKey = e.GetString("PaymentKey")!,
        Channel = e.GetString("Channel")!,
        Recipient = e.GetString("Recipient")!,
        Reference = e.GetString("Reference")!,
        AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        Currency = e.GetString("Currency")!,
        Created = e.GetDateTimeOffset("Created")!.Value,
        Expires = e.GetDateTimeOffset("Expires")!.Value,
        Status = e.GetString("Status") ?? ExpressStatuses.Active,
        Notified = e.GetDateTimeOffset("Notified"),
        ETag = e.ETag,
    };
}

/// <summary>Row keys of express transactions in the Payments table, and their Lookups rows.</summary>
public static class ExpressRows
{
    private const string Prefix = "exp-";

    public static string Row(long id) => $"{Prefix}{id:D12}";

    public static long Id(string row) => long.Parse(row.AsSpan(Prefix.Length), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Merchant references hex-encoded (any text is a safe key) with the id inverted, so the newest sorts first.</summary>
    public static string ReferencePrefix(string reference) => $"xref-{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(reference))}-";

    public static string ReferenceRow(string reference, long id) => $"{ReferencePrefix(reference)}{999_999_999_999 - id:D12}";

    /// <summary>Lookups table: a link's code to the organisation and express transaction, for the unauthenticated <c>/u/{code}</c>.</summary>
    public static string CodeLookup(string code) => "exp-" + code;
}
