using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>A payment key opened by a hosted page, with the organisation it pays.</summary>
public sealed record HostedPayment(PaymentKey Key, Organisation Organisation);

/// <summary>Where a hosted attempt ended and where the payer goes next.</summary>
public sealed record HostedOutcome(PaymentTransaction Transaction, string RedirectUrl);

/// <summary>
/// Payments made by a payer on the hosted pages with a payment key. An attempt first holds the key (an ETag-checked
/// write), so two tabs cannot both pay it; a declined attempt releases it for another try, an approved one marks it
/// paid in the same transaction that writes the payment. A hold left by a crash lapses after
/// <see cref="HoldTime"/>, and the next attempt reuses its transaction id so the acquirer sees the same payment.
/// Holds run on real time (they guard against double payment); the key's expiry and the stamps on the transaction
/// follow the organisation's clock.
/// </summary>
public sealed class HostedPayments(PaymentStore store, PaymentService payments, AcquirerRouter acquirers, IdentityStore identity,
    CardVault vault, OrganisationClock clock, IOptions<PaymentOptions> options, TimeProvider time)
{
    public static readonly TimeSpan HoldTime = TimeSpan.FromMinutes(2);

    /// <summary>How long a payer has for a 3-D Secure challenge before the key can be tried again.</summary>
    public static readonly TimeSpan ChallengeTime = TimeSpan.FromMinutes(15);

    public async Task<HostedPayment?> OpenAsync(string key, CancellationToken cancellationToken)
    {
        if (key.Length != 32 || !key.All(char.IsAsciiHexDigitLower)) return null;
        if (await store.LookupAsync(PaymentRows.KeyLookup(key), cancellationToken) is not { } lookup) return null;
        var paymentKey = await store.GetKeyAsync(lookup.OrganisationId, key, cancellationToken);
        var organisation = paymentKey is null ? null : await identity.GetOrganisationAsync(lookup.OrganisationId, cancellationToken);
        return paymentKey is null || organisation is null ? null : new HostedPayment(paymentKey, organisation);
    }

    /// <summary>
    /// Pays the opened key (see <see cref="OpenAsync"/>; the page that takes the payment has just opened it). With
    /// <paramref name="rememberCard"/>, an approved payment (or one at its challenge) captures the card, sealed, in
    /// the same write, for the merchant to tokenise (see <see cref="CardVault.Capture"/>).
    /// </summary>
    public Task<HostedOutcome> PayByCardAsync(HostedPayment key, CardDetails card, bool rememberCard, CancellationToken cancellationToken) =>
        AttemptAsync(key, PaymentTypes.Card, "Credit Card", rememberCard,
            (acquirer, id, k) => ThreeDSecurePolicy.For(key.Organisation).ChargeAsync(acquirer,
                new CardCharge($"txn-{id}", card, k.AmountMinor, k.Currency, Capture: !k.IsAuthorisation), cancellationToken),
            k => Responses.ForCard(card, k.AmountMinor, k.Currency), cancellationToken,
            with: t => rememberCard && t.Status != TransactionStatus.Failed ? vault.Capture(t.OrganisationId, t.MerchantReference, card, t.Id, time.GetUtcNow()) : null);

    /// <summary>The stored card a key pays with (<c>card_token</c>), if it still exists.</summary>
    public async Task<StoredCard?> SavedCardAsync(PaymentKey key, CancellationToken cancellationToken) =>
        key.CardToken is { } guid ? await vault.GetAsync(key.OrganisationId, guid, cancellationToken) : null;

    /// <summary>
    /// Pays a key that names a stored card, with 3-D Secure as the key's <c>card_token_3ds</c> says (1 always, 0 off:
    /// the issuer's challenge is then a decline), else as the organisation's setting says.
    /// </summary>
    public async Task<HostedOutcome> PayByTokenAsync(HostedPayment payment, CancellationToken cancellationToken)
    {
        var stored = await SavedCardAsync(payment.Key, cancellationToken) ?? throw ApiException.Conflict("The saved card of this payment no longer exists.");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(payment.Organisation.Now(time), ApiTime.Zone(payment.Organisation.TimeZone)).DateTime);
        if (stored.IsExpired(today)) throw ApiException.Conflict($"The saved card expired in {stored.ExpiryText}.");
        var card = vault.Open(stored);
        return await AttemptAsync(payment, PaymentTypes.Card, "Credit Card", rememberCard: false,
            (acquirer, id, k) => ThreeDSecurePolicy.For(payment.Organisation, k.CardToken3ds).ChargeAsync(acquirer,
                new CardCharge($"txn-{id}", card, k.AmountMinor, k.Currency, Capture: !k.IsAuthorisation), cancellationToken),
            k => Responses.ForCard(card, k.AmountMinor, k.Currency, stored.Guid), cancellationToken, cardGuid: stored.Guid);
    }

    public Task<HostedOutcome> PayByEftAsync(HostedPayment key, string bank, string account, CancellationToken cancellationToken) =>
        AttemptAsync(key, PaymentTypes.Eft, "EFT", rememberCard: false,
            (acquirer, id, k) => acquirer.ChargeEftAsync(new EftCharge($"txn-{id}", bank, account, k.AmountMinor, k.Currency), cancellationToken),
            k => Responses.ForEft(bank, account, k.AmountMinor, k.Currency), cancellationToken);

    /// <summary>The payer gave up: recorded as a failed attempt ("Cancelled by payer"); the key stays open.</summary>
    public Task<HostedOutcome> CancelAsync(HostedPayment key, string paymentType, CancellationToken cancellationToken) =>
        AttemptAsync(key, paymentType, paymentType == PaymentTypes.Eft ? "EFT" : "Credit Card", rememberCard: false, charge: null,
            k => Responses.ForAmount(k.AmountMinor, k.Currency), cancellationToken);

    private static AcquirerResult Cancelled(long id) =>
        new(AcquirerOutcome.Declined, "17", CancelledReason, "cancelled_by_payer", null, $"cancel-{id}");

    public const string CancelledReason = "Cancelled by payer";

    private async Task<HostedOutcome> AttemptAsync(HostedPayment payment, string paymentType, string service, bool rememberCard,
        Func<IAcquirer, long, PaymentKey, Task<AcquirerResult>>? charge, Func<PaymentKey, JsonObject> response, CancellationToken cancellationToken,
        Func<PaymentTransaction, TableTransactionAction?>? with = null, Guid? cardGuid = null)
    {
        var (key, organisation) = payment;
        if (key.PaymentType is { } only && only != paymentType) throw ApiException.BadRequest($"This payment can only be made by {only}.");
        var (now, realNow) = (organisation.Now(time), time.GetUtcNow());
        RefuseUnpayable(key, now, realNow);

        var id = await AttemptIdAsync(key, paymentType, reuse: charge is not null, cancellationToken);
        var held = key with { State = PaymentKeyStates.Processing, TransactionId = id, AttemptType = paymentType, HeldUntil = realNow + HoldTime };
        held = await store.ReplaceKeyAsync(held, key.ETag, cancellationToken) ?? throw InProgress();

        // No answer from the acquirer (502) leaves the hold to lapse rather than releasing it: the payment may have
        // gone through, and the next attempt reuses this id so that the acquirer recognises it.
        var acquirer = acquirers.For(key.IsDemo);
        var result = charge is null ? Cancelled(id) : await PaymentService.CallAsync(() => charge(acquirer, id, key));

        var draft = new PaymentTransaction
        {
            Id = id, OrganisationId = organisation.Id, UserId = key.UserId, Username = key.Username,
            Status = TransactionStatus.Pending, PaymentType = paymentType, Service = service, Gateway = acquirer.Name,
            AmountMinor = key.AmountMinor, Currency = key.Currency, MerchantReference = key.MerchantReference,
            CustomerReference = key.CustomerReference, GatewayReference = Guid.NewGuid().ToString(), PaymentKey = key.Key,
            Created = now, IsDemo = key.IsDemo, IsAuthorisation = key.IsAuthorisation && paymentType == PaymentTypes.Card,
            NotifyUrl = key.NotifyUrl, RememberCard = rememberCard, CardGuid = cardGuid, Response = WithDetails(response(key), key),
        };
        var transaction = await payments.WithOutcomeAsync(draft, result, cancellationToken);
        var after = transaction.Status switch
        {
            TransactionStatus.Pending => held with { HeldUntil = realNow + ChallengeTime },
            TransactionStatus.Failed => held with { State = PaymentKeyStates.Open, HeldUntil = null },
            _ => held with { State = PaymentKeyStates.Paid, HeldUntil = null },
        };
        await payments.CreateAsync(transaction, [PaymentStore.KeyChange(after, held.ETag), with?.Invoke(transaction)], cancellationToken);
        return new HostedOutcome(transaction, RedirectFor(after, transaction));
    }

    private static System.Text.Json.Nodes.JsonObject WithDetails(System.Text.Json.Nodes.JsonObject response, PaymentKey key)
    {
        foreach (var (name, value) in key.Details) response[name] = value;
        return response;
    }

    /// <summary>
    /// The id of a new attempt. After a lapsed hold whose attempt never wrote its transaction (it crashed, or the
    /// acquirer did not answer), a payment of the same kind reuses that id, so the acquirer recognises the payment it
    /// may already have made; a cancel or another payment method takes a new id. An attempt left waiting at 3-D Secure
    /// is abandoned (failed) first.
    /// </summary>
    private async Task<long> AttemptIdAsync(PaymentKey key, string paymentType, bool reuse, CancellationToken cancellationToken)
    {
        if (key.State != PaymentKeyStates.Processing || key.TransactionId is not { } previous) return await payments.NextIdAsync(cancellationToken);
        var attempt = await store.GetAsync(key.OrganisationId, previous, cancellationToken);
        if (attempt is null && reuse && key.AttemptType == paymentType) return previous;
        if (attempt is { Status: TransactionStatus.Pending }) await payments.AbandonChallengeAsync(attempt, cancellationToken);
        return await payments.NextIdAsync(cancellationToken);
    }

    /// <summary>
    /// The transaction behind a 3-D Secure session, with the payment key it pays (null for a server-to-server payment);
    /// 404 unless the session is well formed, known, and belongs to <paramref name="transactionId"/>.
    /// </summary>
    public async Task<(PaymentTransaction Transaction, PaymentKey? Key)> FindChallengeAsync(string session, long transactionId, CancellationToken cancellationToken)
    {
        var lookup = session.Length == 32 && session.All(char.IsAsciiHexDigitLower)
            ? await store.LookupAsync(PaymentRows.SessionLookup(session), cancellationToken)
            : null;
        var transaction = lookup is { TransactionId: { } found } && found == transactionId
            ? await store.GetAsync(lookup.Value.OrganisationId, transactionId, cancellationToken)
            : null;
        if (transaction is null || transaction.ThreeDsSession != session) throw ApiException.NotFound("This authentication session is not valid.");
        var key = transaction.Service is PaymentService.DirectService or PaymentService.TokenService ? null : await store.GetKeyAsync(transaction.OrganisationId, transaction.PaymentKey, cancellationToken);
        return (transaction, key);
    }

    /// <summary>The 3-D Secure page's answer. A second answer for a decided transaction just shows where it went.</summary>
    public async Task<HostedOutcome> CompleteChallengeAsync(string session, long transactionId, bool passed, CancellationToken cancellationToken)
    {
        DateTimeOffset? now = null; // the organisation's, read once however often the write is retried
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (current, key) = await FindChallengeAsync(session, transactionId, cancellationToken);
            if (current.Status != TransactionStatus.Pending) return new HostedOutcome(current, RedirectFor(key, current));

            var result = await PaymentService.CallAsync(() => acquirers.For(current.IsDemo).CompleteChallengeAsync(current.AcquirerReference!, passed, cancellationToken));
            now ??= await clock.NowAsync(current.OrganisationId, cancellationToken);
            var next = current.Decide(result, now.Value);
            TableTransactionAction? release = null;
            if (key is { State: PaymentKeyStates.Processing } && key.TransactionId == transactionId)
            {
                key = key with { State = next.Status == TransactionStatus.Failed ? PaymentKeyStates.Open : PaymentKeyStates.Paid, HeldUntil = null };
                release = PaymentStore.KeyChange(key, key.ETag);
            }
            if (await payments.TryChangeAsync(current, next, [release], cancellationToken)) return new HostedOutcome(next, RedirectFor(key, next));
            if (result.Approved && (await store.GetAsync(current.OrganisationId, transactionId, cancellationToken))?.Status == TransactionStatus.Failed)
            {
                // Abandoned (timed out) while the cardholder was passing: the issuer approved a payment we record
                // as failed, so its hold on the card is released.
                await PaymentService.CallAsync(() => acquirers.For(current.IsDemo).VoidAsync(current.AcquirerReference!, $"void-{transactionId}", cancellationToken));
            }
        }
        throw IdentityStore.Busy();
    }

    /// <summary>
    /// Refuses a key that cannot be paid now: expired by the organisation's time <paramref name="now"/>, or held by an
    /// attempt whose hold has not lapsed in real time <paramref name="realNow"/>.
    /// </summary>
    public static void RefuseUnpayable(PaymentKey key, DateTimeOffset now, DateTimeOffset realNow)
    {
        if (key.State == PaymentKeyStates.Paid) throw ApiException.Conflict("This payment has already been made.");
        if (key.State == PaymentKeyStates.Cancelled) throw new ApiException(StatusCodes.Status410Gone, "This payment link has been cancelled.");
        if (key.IsExpired(now)) throw new ApiException(StatusCodes.Status410Gone, "This payment link has expired.");
        if (key.State == PaymentKeyStates.Processing && key.HeldUntil > realNow) throw InProgress();
    }

    private static ApiException InProgress() => ApiException.Conflict("A payment with this link is already in progress.");

    /// <summary>
    /// The merchant's URL for the outcome, with <c>payment_key</c>, <c>transaction_id</c> and <c>status</c> added;
    /// the gateway's own receipt page when the merchant gave none.
    /// </summary>
    public string RedirectFor(PaymentKey? key, PaymentTransaction t)
    {
        if (t.Status == TransactionStatus.Pending) return payments.ThreeDsUrl(t);
        var target = key is null ? t.ReturnUrl : t.Status switch
        {
            TransactionStatus.Complete => key.SuccessUrl,
            TransactionStatus.Authorised => key.PendingUrl ?? key.SuccessUrl,
            _ when t.Reason == CancelledReason => key.CancelUrl ?? key.ErrorUrl,
            _ => key.ErrorUrl,
        };
        target ??= new Uri(options.Value.BaseUri, "receipt").ToString();
        return QueryHelpers.AddQueryString(target, new Dictionary<string, string?>
        {
            ["payment_key"] = t.PaymentKey,
            ["transaction_id"] = t.Id.ToString(CultureInfo.InvariantCulture),
            ["status"] = t.Status,
        });
    }
}
