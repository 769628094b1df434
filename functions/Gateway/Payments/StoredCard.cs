using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Gateway.Payments;

/// <summary>Where a stored card came from: posted to the API, or remembered from a hosted card payment.</summary>
public static class CardSources
{
    public const string Api = "api";
    public const string HostedPage = "hosted";
}

/// <summary>
/// A tokenised card, in its organisation's partition of the Payments table (next to the payments and schedules that
/// use it). The number is kept only sealed (<see cref="CardCipher"/>, with the id of its key), and for display only
/// its first six and last four digits; there is never a CVV: token payments are merchant-initiated and need none.
/// </summary>
public sealed record StoredCard
{
    public required Guid Guid { get; init; }
    public required long OrganisationId { get; init; }
    public required string MerchantReference { get; init; }

    /// <summary>The documents' <c>token</c>: opaque, shown with the card; payments name the card by <see cref="Guid"/>.</summary>
    public required string Token { get; init; }
    public required string KeyId { get; init; }
    public required string SealedNumber { get; init; }
    public required string Bin { get; init; }
    public required string Last4 { get; init; }
    public required int NumberLength { get; init; }
    public required string Brand { get; init; }
    public required int ExpiryMonth { get; init; }
    public required int ExpiryYear { get; init; }
    public string? Holder { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset Created { get; init; }

    /// <summary>
    /// Set when the merchant deletes the card: from then on no API sees it and no new charge uses it. The row (and so
    /// the sealed number) stays only while a scheduled charge made with it may still be in flight, then is purged.
    /// </summary>
    public DateTimeOffset? Deleted { get; init; }
    public ETag ETag { get; init; }

    public string Masked => Bin + new string('*', NumberLength - Bin.Length - 4) + Last4;

    /// <summary>"05-2023", as the documents show a token's expiry.</summary>
    public string ExpiryText => $"{ExpiryMonth:D2}-{ExpiryYear:D4}";

    /// <summary>Whether the card is past its expiry month at <paramref name="today"/> (the organisation's date).</summary>
    public bool IsExpired(DateOnly today) => ExpiryYear < today.Year || (ExpiryYear == today.Year && ExpiryMonth < today.Month);

    /// <summary>Binds the sealed number to this row, so it cannot be replayed onto another card or organisation.</summary>
    public static string SealContext(long organisationId, Guid guid) =>
        string.Create(CultureInfo.InvariantCulture, $"card|{organisationId}|{guid:N}");

    public static string Row(Guid guid) => $"card-{guid:N}";

    /// <summary>A merchant reference names at most one stored card per organisation: this row is inserted with the card.</summary>
    public static string ReferenceRow(string merchantReference) => "cref-" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(merchantReference));

    /// <summary>The card remembered on the hosted page for a merchant reference, waiting to be tokenised.</summary>
    public static string CaptureRow(string merchantReference) => CapturePrefix + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(merchantReference));
    public const string CapturePrefix = "ccap-";

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.Partition(OrganisationId), Row(Guid))
        {
            ["Kind"] = "card",
            ["MerchantReference"] = MerchantReference,
            ["Token"] = Token,
            ["KeyId"] = KeyId,
            ["SealedNumber"] = SealedNumber,
            ["Bin"] = Bin,
            ["Last4"] = Last4,
            ["NumberLength"] = NumberLength,
            ["Brand"] = Brand,
            ["ExpiryMonth"] = ExpiryMonth,
            ["ExpiryYear"] = ExpiryYear,
            ["Holder"] = Holder,
            ["Source"] = Source,
            ["Created"] = Created,
            ["Deleted"] = Deleted,
        };
        e.ETag = ETag;
        return e;
    }

    public static StoredCard FromEntity(long organisationId, TableEntity e) => new()
    {
        Guid = Guid.ParseExact(e.RowKey["card-".Length..], "N"),
        OrganisationId = organisationId,
        MerchantReference = e.GetString("MerchantReference")!,
        Token = e.GetString("Token")!,
        KeyId = e.GetString("KeyId")!,
        SealedNumber = e.GetString("SealedNumber")!,
        Bin = e.GetString("Bin")!,
        Last4 = e.GetString("Last4")!,
        NumberLength = (e.GetInt32("NumberLength") ?? 16),
        Brand = e.GetString("Brand")!,
        ExpiryMonth = (e.GetInt32("ExpiryMonth") ?? 1),
        ExpiryYear = (e.GetInt32("ExpiryYear") ?? 2000),
        Holder = e.GetString("Holder"),
        Source = e.GetString("Source") ?? CardSources.Api,
        Created = e.GetDateTimeOffset("Created")!.Value,
        Deleted = e.GetDateTimeOffset("Deleted"),
        ETag = e.ETag,
    };
}
