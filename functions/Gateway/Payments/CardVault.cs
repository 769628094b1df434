using Azure;
using Azure.Data.Tables;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>Stored cards: sealing a card into a token, finding it by guid or merchant reference, and opening it to charge.</summary>
public sealed class CardVault(GatewayTables tables, PaymentStore payments, CardCipher cipher)
{
    /// <summary>A card the merchant has (not deleted).</summary>
    public async Task<StoredCard?> GetAsync(long organisationId, Guid guid, CancellationToken cancellationToken) =>
        await GetStoredAsync(organisationId, guid, cancellationToken) is { Deleted: null } card ? card : null;

    /// <summary>The card's row, also while a deleted card is kept for a scheduled charge still in flight.</summary>
    public async Task<StoredCard?> GetStoredAsync(long organisationId, Guid guid, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), StoredCard.Row(guid), cancellationToken: cancellationToken);
        return e is null ? null : StoredCard.FromEntity(organisationId, e);
    }

    public async Task<StoredCard?> FindAsync(long organisationId, string merchantReference, CancellationToken cancellationToken)
    {
        var index = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), StoredCard.ReferenceRow(merchantReference), ["CardGuid"], cancellationToken);
        return index?.GetGuid("CardGuid") is { } guid ? await GetAsync(organisationId, guid, cancellationToken) : null;
    }

    /// <summary>A new stored card for <paramref name="card"/> (not yet written: see <see cref="Inserts"/>); the CVV is not taken.</summary>
    public StoredCard Seal(long organisationId, CardDetails card, string merchantReference, string source, DateTimeOffset now)
    {
        var guid = Guid.NewGuid();
        var (keyId, sealedNumber) = cipher.Seal(card.Number, StoredCard.SealContext(organisationId, guid));
        return new StoredCard
        {
            Guid = guid, OrganisationId = organisationId, MerchantReference = merchantReference,
            Token = $"{Guid.NewGuid()},{Guid.NewGuid().ToString().ToUpperInvariant()}",
            KeyId = keyId, SealedNumber = sealedNumber, Bin = card.Bin, Last4 = card.Last4, NumberLength = card.Number.Length,
            Brand = card.Brand, ExpiryMonth = card.ExpiryMonth, ExpiryYear = card.ExpiryYear, Holder = card.Holder,
            Source = source, Created = now,
        };
    }

    /// <summary>The card row and its merchant-reference row; the latter's insert fails (409) when the reference has a card.</summary>
    public static IEnumerable<TableTransactionAction> Inserts(StoredCard card) =>
    [
        TableActions.Insert(card.ToEntity()),
        TableActions.Insert(new TableEntity(PaymentRows.Partition(card.OrganisationId), StoredCard.ReferenceRow(card.MerchantReference))
        {
            ["Kind"] = "index", ["CardGuid"] = card.Guid,
        }),
    ];

    /// <summary>
    /// Deletes the card and frees its merchant reference. With <paramref name="keep"/> (its schedules may have a charge
    /// in flight) the row stays, marked deleted, until the runner has finished with it; otherwise it goes at once.
    /// </summary>
    public static IEnumerable<TableTransactionAction> Deletes(StoredCard card, bool keep, DateTimeOffset now) =>
    [
        keep ? TableActions.Replace((card with { Deleted = now }).ToEntity(), card.ETag)
            : TableActions.Delete(PaymentRows.Partition(card.OrganisationId), StoredCard.Row(card.Guid), card.ETag),
        TableActions.Delete(PaymentRows.Partition(card.OrganisationId), StoredCard.ReferenceRow(card.MerchantReference), ETag.All),
    ];

    /// <summary>How long a remembered card waits for the merchant to tokenise it (<c>POST customer-token</c>).</summary>
    public static readonly TimeSpan CaptureLifetime = TimeSpan.FromHours(24);

    /// <summary>
    /// The card of a hosted payment made with "Remember this card", sealed under its merchant reference, to be written
    /// with the payment's transaction; a later payment with the same reference replaces it. Never a CVV.
    /// </summary>
    public TableTransactionAction Capture(long organisationId, string merchantReference, CardDetails card, long transactionId, DateTimeOffset now)
    {
        var row = StoredCard.CaptureRow(merchantReference);
        var (keyId, sealedNumber) = cipher.Seal(card.Number, CaptureContext(organisationId, row));
        return TableActions.Upsert(new TableEntity(PaymentRows.Partition(organisationId), row)
        {
            ["Kind"] = "card-capture", ["KeyId"] = keyId, ["SealedNumber"] = sealedNumber,
            ["ExpiryMonth"] = card.ExpiryMonth, ["ExpiryYear"] = card.ExpiryYear, ["Holder"] = card.Holder,
            ["TransactionId"] = transactionId, ["Created"] = now, ["Expires"] = now + CaptureLifetime,
        });
    }

    public Task<TableEntity?> GetCaptureAsync(long organisationId, string merchantReference, CancellationToken cancellationToken) =>
        tables.Payments.FindAsync(PaymentRows.Partition(organisationId), StoredCard.CaptureRow(merchantReference), cancellationToken: cancellationToken);

    /// <summary>Once a remembered card is tokenised it goes, in the same write as the new card.</summary>
    public static TableTransactionAction CaptureUsed(TableEntity capture) => TableActions.Delete(capture.PartitionKey, capture.RowKey, capture.ETag);

    /// <summary>Remembered cards nobody tokenised within <see cref="CaptureLifetime"/>: sealed, but kept without purpose.</summary>
    public Task<int> DeleteExpiredCapturesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        payments.DeleteExpiredAsync(StoredCard.CapturePrefix, now, cancellationToken);

    /// <summary>The captured card, opened only to be sealed again as a stored card (its sealing is bound to the capture row).</summary>
    public CardDetails OpenCapture(long organisationId, TableEntity capture) =>
        new(cipher.Open(capture.GetString("KeyId")!, capture.GetString("SealedNumber")!, CaptureContext(organisationId, capture.RowKey)),
            (capture.GetInt32("ExpiryMonth") ?? 1), (capture.GetInt32("ExpiryYear") ?? 2000), Cvv: "", capture.GetString("Holder"));

    private static string CaptureContext(long organisationId, string row) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"capture|{organisationId}|{row}");

    /// <summary>The card to charge: its number opened for this call only, with no CVV (token payments carry none).</summary>
    public CardDetails Open(StoredCard card) =>
        new(cipher.Open(card.KeyId, card.SealedNumber, StoredCard.SealContext(card.OrganisationId, card.Guid)),
            card.ExpiryMonth, card.ExpiryYear, Cvv: "", card.Holder);

    /// <summary>Removes a deleted card's row for good (ETag-checked: a card changed since it was read stays).</summary>
    public async Task PurgeAsync(StoredCard card, CancellationToken cancellationToken) =>
        await tables.Payments.TryDeleteAsync(PaymentRows.Partition(card.OrganisationId), StoredCard.Row(card.Guid), card.ETag, cancellationToken);
}
