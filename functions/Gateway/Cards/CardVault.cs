using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Cards;

/// <summary>Stored cards: sealing a card into a token, finding it by guid or merchant reference, and opening it to charge.</summary>
public sealed class CardVault(GatewayTables tables, CardCipher cipher)
{
    public async Task<StoredCard?> GetAsync(long organisationId, Guid guid, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), StoredCard.Row(guid), ct: cancellationToken);
        return e is null ? null : StoredCard.FromEntity(organisationId, e);
    }

    public async Task<StoredCard?> FindAsync(long organisationId, string merchantReference, CancellationToken cancellationToken)
    {
        var index = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), StoredCard.ReferenceRow(merchantReference), ["CardGuid"], cancellationToken);
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
    public static IEnumerable<TableOperation> Inserts(StoredCard card) =>
    [
        TableOperation.Insert(card.ToEntity()),
        TableOperation.Insert(new TableEntity(PaymentRows.Partition(card.OrganisationId), StoredCard.ReferenceRow(card.MerchantReference))
        {
            ["Kind"] = "index", ["CardGuid"] = card.Guid,
        }),
    ];

    public static IEnumerable<TableOperation> Deletes(StoredCard card) =>
    [
        TableOperation.Delete(PaymentRows.Partition(card.OrganisationId), StoredCard.Row(card.Guid), card.ETag ?? "*"),
        TableOperation.Delete(PaymentRows.Partition(card.OrganisationId), StoredCard.ReferenceRow(card.MerchantReference)),
    ];

    /// <summary>The card to charge: its number opened for this call only, with no CVV (token payments carry none).</summary>
    public CardDetails Open(StoredCard card) =>
        new(cipher.Open(card.KeyId, card.SealedNumber, StoredCard.SealContext(card.OrganisationId, card.Guid)),
            card.ExpiryMonth, card.ExpiryYear, Cvv: "", card.Holder);

    /// <summary>Removes a deleted card's row for good (ETag-checked: a card changed since it was read stays).</summary>
    public async Task PurgeAsync(StoredCard card, CancellationToken cancellationToken) =>
        await tables.Payments.DeleteAsync(PaymentRows.Partition(card.OrganisationId), StoredCard.Row(card.Guid), card.ETag!, cancellationToken);
}
