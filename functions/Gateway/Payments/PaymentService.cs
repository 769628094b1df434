using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>
/// A server-to-server card payment (<c>pay/direct</c>, or <c>pay/auth</c> when <see cref="Authorise"/>), or one with a
/// stored card (<see cref="CardGuid"/> set, service <c>Token</c>).
/// </summary>
public sealed record DirectPayment(
    CardDetails Card, long AmountMinor, string Currency, string MerchantReference, string? ReturnUrl, string? NotifyUrl, bool Authorise)
{
    public string Service { get; init; } = PaymentService.DirectService;
    public Guid? CardGuid { get; init; }

    /// <summary>The request field that gives the cardholder's way back from 3-D Secure (named in the decline without it).</summary>
    public string ReturnUrlField { get; init; } = "return_url";

    /// <summary>A token payment's <c>card_token_3ds</c>, overriding the organisation's 3-D Secure setting when given.</summary>
    public bool? TokenThreeDSecure { get; init; }
}

/// <summary>
/// Payments and their state changes. Each change is one entity-group transaction in the organisation's partition:
/// the transaction row (ETag-checked), its outbox event and the idempotency record of the request; the event is
/// enqueued after the commit. Acquirer calls carry idempotency keys made from our ids.
/// </summary>
public sealed class PaymentService(
    PaymentStore store, AcquirerRouter acquirers, PaymentEvents events, IdAllocator ids, PaymentSecrets secrets,
    IOptions<PaymentOptions> options, OrganisationClock clock, TimeProvider time)
{
    public const string TransactionSequence = "transaction";
    public const int MaxAttempts = 100;
    public const string DirectService = "Direct";
    public const string TokenService = "Token";

    /// <summary>A new transaction id, in the home shard unless another is named (see <see cref="PaymentRows"/>).</summary>
    public async Task<long> NextIdAsync(CancellationToken cancellationToken, int shard = 0) =>
        PaymentRows.NewTransactionId(await ids.NextAsync(TransactionSequence, cancellationToken), shard);

    public Task<StoredResponse> PayDirectAsync(Caller caller, Organisation organisation, DirectPayment payment,
        IdempotencyScope scope, CancellationToken cancellationToken) =>
        PayCardAsync(caller, organisation, payment, scope,
            (t, zone) => StoredResponse.Ok(new PaymentResult("result", null, TransactionView.From(t, zone))), cancellationToken);

    /// <summary>
    /// Charges a card server to server (entered, or opened from the vault): the transaction and the response kept for
    /// retries in one write. A 3-D Secure challenge answers <c>3ds_redirect</c>; any decided payment answers
    /// <paramref name="decided"/>'s shape.
    /// </summary>
    public async Task<StoredResponse> PayCardAsync(Caller caller, Organisation organisation, DirectPayment payment,
        IdempotencyScope scope, Func<PaymentTransaction, TimeZoneInfo, StoredResponse> decided, CancellationToken cancellationToken)
    {
        // Nothing of a card payment's commits with the home partition's rows, so it may go to any partition: the one
        // its Idempotency-Key hashes to (the hold's reserved id is there), else one at random.
        var id = scope.ReservedId
            ?? await NextIdAsync(cancellationToken, Random.Shared.Next(organisation.PaymentPartitions.EffectiveAt(time.GetUtcNow())));
        var acquirer = acquirers.For(organisation.Mode == OrganisationModes.Test);
        var threeDs = ThreeDSecurePolicy.For(organisation, payment.TokenThreeDSecure);
        var charge = new CardCharge($"txn-{id}", payment.Card, payment.AmountMinor, payment.Currency, Capture: !payment.Authorise);
        var result = await CallAsync(() => threeDs.ChargeAsync(acquirer, charge, cancellationToken));
        if (result.Outcome == AcquirerOutcome.ChallengeRequired && payment.ReturnUrl is null)
        {
            result = DeclineChallenge(result, $"3-D Secure authentication required: send {payment.ReturnUrlField} to redirect the cardholder");
        }

        var draft = new PaymentTransaction
        {
            Id = id, OrganisationId = organisation.Id, UserId = caller.User?.Id, Username = caller.User?.Username,
            Status = TransactionStatus.Pending, PaymentType = PaymentTypes.Card, Service = payment.Service, Gateway = acquirer.Name,
            AmountMinor = payment.AmountMinor, Currency = payment.Currency, MerchantReference = payment.MerchantReference,
            GatewayReference = Guid.NewGuid().ToString(), PaymentKey = secrets.Sign("direct-payment-key", id.ToString(System.Globalization.CultureInfo.InvariantCulture))[..32],
            Created = organisation.Now(time), IsDemo = organisation.Mode == OrganisationModes.Test, IsAuthorisation = payment.Authorise,
            ReturnUrl = payment.ReturnUrl, NotifyUrl = payment.NotifyUrl, CardGuid = payment.CardGuid,
            Response = Responses.ForCard(payment.Card, payment.AmountMinor, payment.Currency, payment.CardGuid),
        };
        var transaction = await WithOutcomeAsync(draft, result, cancellationToken);
        var zone = ApiTime.Zone(organisation.TimeZone);
        var response = transaction.Status == TransactionStatus.Pending
            ? StoredResponse.Ok(new ThreeDsRedirect("3ds_redirect", ThreeDsUrl(transaction), id.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            : decided(transaction, zone);
        await CreateAsync(transaction, [scope.Complete(response)], cancellationToken, indexPaymentKey: true);
        return response;
    }

    /// <summary>
    /// Applies the acquirer's first answer to a new transaction: decided, or pending behind a 3-D Secure challenge
    /// whose session is registered for the challenge page before the transaction is written.
    /// </summary>
    public async Task<PaymentTransaction> WithOutcomeAsync(PaymentTransaction draft, AcquirerResult result, CancellationToken cancellationToken)
    {
        var withResponse = draft with { AcquirerReference = result.Reference, Response = Responses.With(draft.Response, result) };
        if (result.Outcome == AcquirerOutcome.ChallengeRequired)
        {
            var session = Secrets.Hex(16);
            await store.AddLookupAsync(PaymentRows.SessionLookup(session), draft.OrganisationId, draft.Id, cancellationToken);
            return withResponse with { Status = TransactionStatus.Pending, ThreeDsSession = session, ChallengeStarted = time.GetUtcNow() };
        }
        return withResponse with
        {
            Status = !result.Approved ? TransactionStatus.Failed : draft.IsAuthorisation ? TransactionStatus.Authorised : TransactionStatus.Complete,
            SettledMinor = result.Approved && !draft.IsAuthorisation ? draft.AmountMinor : 0,
            Reason = result.Approved ? null : result.ResponseText,
        };
    }

    /// <summary>A challenge nobody can answer (no way back for the cardholder, or 3-D Secure off) is a decline.</summary>
    public static AcquirerResult DeclineChallenge(AcquirerResult result, string reason) =>
        result with { Outcome = AcquirerOutcome.Declined, DeclineCode = "authentication_required", ResponseText = reason };

    public string ThreeDsUrl(PaymentTransaction t) =>
        new Uri(options.Value.BaseUri, $"gatewaytransactions/3ds/?transactionID={t.Id}&session={t.ThreeDsSession}").ToString();

    /// <summary>
    /// Writes a new transaction with its index rows and first event, plus the caller's extra rows, at once. A payment
    /// made without a payment key (<paramref name="indexPaymentKey"/>) gets an index row for the key it was given.
    /// </summary>
    public async Task CreateAsync(PaymentTransaction t, IEnumerable<TableTransactionAction?> extra, CancellationToken cancellationToken,
        bool indexPaymentKey = false)
    {
        var paymentEvent = PaymentEvent.For(t);
        var committed = await store.CommitAsync([.. PaymentStore.NewTransaction(t, paymentEvent, time.GetUtcNow(), indexPaymentKey), .. extra], cancellationToken);
        // A refused commit is fine only if it is this very write, landed earlier with its answer lost.
        if (!committed && (await store.GetAsync(t.OrganisationId, t.Id, cancellationToken))?.GatewayReference != t.GatewayReference)
        {
            throw IdentityStore.Busy();
        }
        await events.PublishAsync(paymentEvent, cancellationToken);
    }

    /// <summary>Commits a change of an existing transaction (ETag-checked) with its event; false when it changed meanwhile.</summary>
    public async Task<bool> TryChangeAsync(PaymentTransaction before, PaymentTransaction after, IEnumerable<TableTransactionAction?> extra, CancellationToken cancellationToken) =>
        await TryWriteAsync(before, after, withEvent: true, extra, cancellationToken) is not null;

    /// <summary>
    /// An ETag-checked replace of a transaction, with its outbox event when the change is one merchants hear about.
    /// Returns the transaction as written, with its new ETag, so a next step needs no read; null when it changed since
    /// <paramref name="before"/> was read. A write that landed although its answer was lost (the storage client's
    /// retry then meets a changed ETag) is recognised by its write id.
    /// </summary>
    public async Task<PaymentTransaction?> TryWriteAsync(PaymentTransaction before, PaymentTransaction after, bool withEvent,
        IEnumerable<TableTransactionAction?> extra, CancellationToken cancellationToken)
    {
        after = after with { WriteId = Guid.NewGuid().ToString("N") };
        var paymentEvent = withEvent ? PaymentEvent.For(after, before) : null;
        var etags = await store.SubmitAsync([.. PaymentStore.ChangedTransaction(before, after, paymentEvent, time.GetUtcNow()), .. extra], cancellationToken);
        var written = etags is [var etag, ..] ? after with { ETag = etag }
            : await store.GetAsync(after.OrganisationId, after.Id, cancellationToken) is { } current && current.WriteId == after.WriteId ? current : null;
        if (written is not null && paymentEvent is not null) await events.PublishAsync(paymentEvent, cancellationToken);
        return written;
    }

    /// <summary>A 3-D Secure challenge the cardholder never finished: the payment fails, and the merchant hears so.</summary>
    public async Task AbandonChallengeAsync(PaymentTransaction pending, CancellationToken cancellationToken)
    {
        var abandoned = new AcquirerResult(AcquirerOutcome.Declined, "05", "3-D Secure authentication was not completed",
            "authentication_abandoned", null, pending.AcquirerReference ?? "");
        var now = await clock.NowAsync(pending.OrganisationId, cancellationToken);
        for (var current = pending; current is { Status: TransactionStatus.Pending };
             current = await store.GetAsync(pending.OrganisationId, pending.Id, cancellationToken))
        {
            if (await TryChangeAsync(current, current.Decide(abandoned, now), [], cancellationToken)) return;
        }
    }

    /// <summary>After a lost ETag race: a short random pause spreads out requests that would collide again.</summary>
    public static Task Contended(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + 5 * Math.Min(attempt, 10))), cancellationToken);

    /// <summary>An acquirer that cannot answer means the outcome is unknown: 502, and a retry (same ids) asks again.</summary>
    public static async Task<AcquirerResult> CallAsync(Func<Task<AcquirerResult>> call)
    {
        try
        {
            return await call();
        }
        catch (AcquirerUnavailableException)
        {
            throw new ApiException(StatusCodes.Status502BadGateway,
                "The payment processor did not answer; the outcome is unknown. Retry with the same Idempotency-Key, or look the transaction up.");
        }
    }

    public static ApiException TransactionNotFound() => ApiException.NotFound("Transaction not found.");
}

/// <summary>How settle and reverse name the transaction: <c>gateway_reference</c> or <c>gateway_transaction_id</c>.</summary>
public sealed record TransactionLocator(long? Id, string? GatewayReference)
{
    public Task<PaymentTransaction?> FindAsync(PaymentStore store, Organisation organisation, CancellationToken cancellationToken) =>
        Id is { } id ? store.GetAsync(organisation.Id, id, cancellationToken)
            : store.FindByGatewayReferenceAsync(organisation, GatewayReference!, cancellationToken);

    /// <summary>
    /// The same transaction named by its id, when a gateway reference finds one: its reads then go straight to its
    /// partition, and the request's Idempotency-Key can be kept there (<see cref="Place"/>).
    /// </summary>
    public async Task<TransactionLocator> ResolveAsync(PaymentStore store, Organisation organisation, CancellationToken cancellationToken) =>
        Id is null && await store.FindIdByGatewayReferenceAsync(organisation, GatewayReference!, cancellationToken) is { } id
            ? new TransactionLocator(id, null)
            : this;

    /// <summary>Where the request's Idempotency-Key goes: with the transaction (at home when none was found, to answer 404).</summary>
    public IdempotencyPlace Place => Id is { } id ? IdempotencyPlace.Transaction(id) : IdempotencyPlace.Home;
}
