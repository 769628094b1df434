using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Cards;

/// <summary>A charge of a stored card: <c>customer-token/{guid}/pay</c>, or <c>/auth</c> when <see cref="Authorise"/>.</summary>
/// <summary>A charge of a stored card; <see cref="ThreeDSecure"/> is <c>card_token_3ds</c> (null: the organisation's setting).</summary>
public sealed record TokenPayment(long AmountMinor, string Reference, string? PendingUrl, bool Authorise, bool? ThreeDSecure);

/// <summary>
/// The card vault's operations behind the API: storing a card (posted, or remembered on the hosted page), finding,
/// deleting and charging it. Each change is one entity-group transaction in the organisation's partition, with the
/// idempotency record of the request.
/// </summary>
public sealed class CardTokens(CardVault vault, PaymentService payments, PaymentStore store, ICardDependents dependents, TimeProvider time)
{
    /// <summary>Stores a posted card under <paramref name="reference"/>; the CVV was checked by the caller and is not kept.</summary>
    public Task<StoredResponse> CreateAsync(Organisation organisation, CardDetails card, string reference, IdempotencyScope scope, CancellationToken cancellationToken) =>
        StoreAsync(vault.Seal(organisation.Id, card, reference, CardSources.Api, organisation.Now(time)), [], scope, cancellationToken);

    /// <summary>
    /// Stores the card remembered on the hosted card page for <paramref name="reference"/>: only if it was captured
    /// within the last 24 hours and its payment went through (complete or authorised). The capture is deleted in the
    /// same write, so one capture makes at most one card.
    /// </summary>
    public async Task<StoredResponse> CreateFromCaptureAsync(Organisation organisation, string reference, IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var capture = await vault.GetCaptureAsync(organisation.Id, reference, cancellationToken);
        // Retention protects the platform, so it runs on real time (as the sweep that deletes captures does).
        if (capture is null || capture.GetDateTimeOffset("Expires") <= time.GetUtcNow())
        {
            throw ApiException.NotFound("No card was remembered for this merchant_reference in the last 24 hours: the payer pays on the hosted card page " +
                "with \"Remember this card\" ticked first.");
        }
        var payment = await store.GetAsync(organisation.Id, capture.GetInt64("TransactionId") ?? 0, cancellationToken);
        if (payment is null || !(payment.Successful || payment.Status == TransactionStatus.Authorised))
        {
            throw ApiException.Conflict(payment?.Status == TransactionStatus.Pending
                ? "The payment that remembered this card is still waiting for 3-D Secure; tokenise it once it has gone through."
                : "The payment that remembered this card did not go through, so the card cannot be tokenised.");
        }
        var card = vault.Seal(organisation.Id, vault.OpenCapture(organisation.Id, capture), reference, CardSources.HostedPage, organisation.Now(time));
        return await StoreAsync(card, [CardVault.CaptureUsed(capture)], scope, cancellationToken);
    }

    private async Task<StoredResponse> StoreAsync(StoredCard card, IEnumerable<TableTransactionAction> with, IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var response = StoredResponse.Ok(new CardTokenCreated(card.MerchantReference, card.Token, card.Guid.ToString(), card.ExpiryText));
        // The merchant-reference row's insert is what makes a reference name one card: of racing creates, one commits.
        if (await store.CommitAsync([.. CardVault.Inserts(card), .. with, scope.Complete(response)], cancellationToken) || await vault.GetAsync(card.OrganisationId, card.Guid, cancellationToken) is not null) return response; // or our answer was lost
        if (await vault.FindAsync(card.OrganisationId, card.MerchantReference, cancellationToken) is not null)
        {
            throw ApiException.Conflict("merchant_reference: a card token already exists for this reference; delete it first to store another card.");
        }
        throw IdentityStore.Busy();
    }

    /// <summary>
    /// The card a route names: by guid, else by merchant reference. Anything that cannot be either, and any other
    /// organisation's card, is 404.
    /// </summary>
    public async Task<StoredCard> FindAsync(long organisationId, string referenceOrGuid, CancellationToken cancellationToken)
    {
        if (referenceOrGuid.Length is 0 or > PaymentFields.MaxReferenceLength || referenceOrGuid.Any(char.IsControl)) throw CardNotFound();
        if (Guid.TryParse(referenceOrGuid, out var guid) && await vault.GetAsync(organisationId, guid, cancellationToken) is { } byGuid) return byGuid;
        return await vault.FindAsync(organisationId, referenceOrGuid, cancellationToken) ?? throw CardNotFound();
    }

    /// <summary>
    /// Deletes the card and its merchant-reference row at once (the card's ETag makes a concurrent delete a 404).
    /// A card something still depends on (an active schedule) is kept, marked deleted, until that stops (see
    /// <see cref="ICardDependents"/>); one without goes at once.
    /// </summary>
    public async Task<StoredCard> DeleteAsync(long organisationId, string referenceOrGuid, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            var card = await FindAsync(organisationId, referenceOrGuid, cancellationToken);
            var deletion = await dependents.PrepareDeletionAsync(organisationId, card.Guid, cancellationToken);
            var committed = await store.CommitAsync(
                [.. deletion.Actions, .. CardVault.Deletes(card, keep: deletion.KeepCard, time.GetUtcNow())],
                cancellationToken);
            // Refused: changed meanwhile (then try again; a card deleted meanwhile is a 404 from FindAsync), or this
            // very delete landed with its answer lost.
            if (committed || await vault.GetAsync(organisationId, card.Guid, cancellationToken) is null) return card;
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }

    /// <summary>
    /// Charges the stored card named by <paramref name="guidText"/> like pay/direct (same code, service <c>Token</c>).
    /// An expired card is refused before the acquirer is asked.
    /// </summary>
    public async Task<StoredResponse> PayAsync(Caller caller, Organisation organisation, string guidText, TokenPayment payment,
        IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var stored = Guid.TryParse(guidText, out var guid) ? await vault.GetAsync(organisation.Id, guid, cancellationToken) : null;
        if (stored is null) throw CardNotFound();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(organisation.Now(time), ApiTime.Zone(organisation.TimeZone)).DateTime);
        if (stored.IsExpired(today))
        {
            throw ApiException.Conflict($"The stored card expired in {stored.ExpiryText}; store the cardholder's new card under a new token.");
        }
        var direct = new DirectPayment(vault.Open(stored), payment.AmountMinor, organisation.Currency, payment.Reference, payment.PendingUrl, NotifyUrl: null, payment.Authorise)
        {
            Service = PaymentService.TokenService, CardGuid = stored.Guid, ReturnUrlField = "pending_url",
            TokenThreeDSecure = payment.ThreeDSecure,
        };
        return await payments.PayCardAsync(caller, organisation, direct, scope,
            (t, _) => StoredResponse.Ok(TokenPaymentResult.From(t, payment.Authorise)), cancellationToken);
    }

    public static ApiException CardNotFound() => ApiException.NotFound("Card token not found.");
}
