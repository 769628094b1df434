using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Microsoft.Extensions.Options;

namespace Gateway.Cashier;

/// <summary>
/// The cashier's rules (document 003). Every change is an ETag-checked write of the transaction with the outbox event
/// of its status change, so racing requests (two payers' tabs, an approve against a reject, a runner against a page)
/// end in exactly one outcome; the loser re-reads and answers with what happened. Calls to providers carry
/// idempotency keys from our own ids, so one repeated after a crash or a lost answer is answered, not repeated.
/// </summary>
public sealed class CashierService(
    CashierStore store,
    PaymentService payments,
    PaymentEvents events,
    AcquirerRouter acquirers,
    SimulatedPayoutBank payoutBank,
    CardCipher cipher,
    IOptions<CashierOptions> options,
    TimeProvider time)
{
    public const string MerchantRejection = "Rejected by the merchant";
    public const string Expired = "Expired: the user did not finish in time";

    /// <summary>
    /// Opens a deposit or payout, or, for a tracking id already used, answers with what it opened: the same request
    /// gets the same transaction, a different one a 422. Concurrent requests with one tracking id race for its claim
    /// row, and every loser is answered from the winner.
    /// </summary>
    public async Task<CashierTransaction> OpenAsync(Caller caller, Organisation organisation, CashierRequest request,
        CancellationToken cancellationToken)
    {
        var test = IsTestMode(caller, organisation);
        var mode = test ? OrganisationModes.Test : OrganisationModes.Live;
        if (request.Mode is { } asked && asked != mode)
        {
            throw ApiException.BadRequest("request[mode]", $"these credentials are for {mode} mode.");
        }
        RefuseProvider(request);
        var fingerprint = request.Fingerprint();
        // Read together: one round trip of latency for the retry check and the providers offered.
        var disabled = store.DisabledProvidersAsync(organisation.Id, cancellationToken);
        if (await store.FindByTrackingIdAsync(organisation.Id, request.TrackingId, cancellationToken) is { } earlier)
        {
            return Repeat(earlier, fingerprint);
        }
        if (request.Entry == CashierEntry.Payout && !test)
        {
            throw ApiException.Conflict("Live payouts need a payout provider connector, and none is configured. " +
                "Test mode uses the simulator.");
        }
        var (amount, fx) = Convert(request.AmountMinor, request.Currency, organisation.Currency, test,
            "request[currency]");
        var offered = Offered(await disabled, request);
        var acquirer = request.Entry == CashierEntry.Payout ? null : acquirers.For(test);
        var now = time.GetUtcNow();
        var opened = new CashierTransaction
        {
            OrganisationId = organisation.Id, Id = await payments.NextIdAsync(cancellationToken),
            PublicId = CashierTransaction.NewPublicId(), GatewayId = CashierTransaction.NewPublicId(),
            Type = request.Type, Flow = request.Flow, Mode = mode, Token = CashierTransaction.NewToken(),
            ProviderId = request.ProviderId, Offered = offered,
            UserId = request.UserId, TrackingId = request.TrackingId, Ip = request.Ip, Theme = request.Theme,
            AmountMinor = amount, Currency = organisation.Currency, UserAmountMinor = request.AmountMinor,
            UserCurrency = request.Currency, FxMinor = fx, AmountRestricted = request.AmountRestricted,
            MaxDepositMinor = request.MaxDepositMinor, Customer = request.Customer.ToJsonString(),
            RequestHash = fingerprint, Created = now, Updated = now,
        };
        if (request.Card is { } card)
        {
            // Charged before anything is written, under a key from the tracking id: a retry after a crash or a lost
            // answer gets the acquirer's first answer, and racing duplicates cannot charge twice.
            var key = $"cashier-{organisation.Id}-{CashierTransaction.TrackingRow(request.TrackingId)}";
            var charge = new CardCharge(key, card, amount, organisation.Currency, Capture: true)
                { RequestChallenge = true };
            opened = Charged(opened, await CallAsync(() => acquirer!.ChargeCardAsync(charge, cancellationToken)), now);
        }
        var first = opened.IsFinal ? opened.Event() : null;
        var due = opened.IsFinal ? (DateTimeOffset?)null : now + options.Value.SessionLifetime;
        if (await store.CreateAsync(opened, first, due, now, cancellationToken) is { } created)
        {
            if (first is not null) await events.PublishAsync(first, cancellationToken);
            return created;
        }
        // Refused: another request took the tracking id first (its claim row exists), or, vanishingly rarely, the
        // random public id was taken; either way nothing of this one was written.
        return await store.FindByTrackingIdAsync(organisation.Id, request.TrackingId, cancellationToken) is { } winner
            ? Repeat(winner, fingerprint)
            : throw IdentityStore.Busy();
    }

    /// <summary>A test key, or any key of a test organisation, reaches only the simulators.</summary>
    public static bool IsTestMode(Caller caller, Organisation organisation) =>
        organisation.Mode == OrganisationModes.Test || caller.KeyMode == OrganisationModes.Test;

    public async Task<CashierTransaction> GetAsync(Organisation organisation, string id,
        CancellationToken cancellationToken) =>
        await FindAsync(organisation.Id, id, cancellationToken) ?? throw NotFound();

    /// <summary>
    /// By our transaction id, or else by the merchant's tracking id (the document names both "transaction id").
    /// </summary>
    public async Task<CashierTransaction?> FindAsync(long organisationId, string id,
        CancellationToken cancellationToken) =>
        await store.FindAsync(organisationId, id, cancellationToken)
        ?? await store.FindByTrackingIdAsync(organisationId, id, cancellationToken);

    /// <summary>The cashier page's transaction, while its page may still be used.</summary>
    public async Task<CashierTransaction> OpenPageAsync(string token, CancellationToken cancellationToken)
    {
        var t = await store.OpenAsync(token, cancellationToken)
            ?? throw ApiException.NotFound("This cashier link is not valid.");
        if (t.Stage == CashierStages.Session && time.GetUtcNow() > t.Created + options.Value.SessionLifetime)
        {
            throw new ApiException(StatusCodes.Status410Gone,
                "This cashier link has expired. Please start again from the merchant's site.");
        }
        return t;
    }

    /// <summary>
    /// The user's card deposit from the page: charged with 3-D Secure asked for, as the simulator's provider does.
    /// </summary>
    public Task<CashierTransaction> DepositByCardAsync(CashierTransaction t, CardDetails card, long? amountMinor,
        CancellationToken cancellationToken) =>
        DepositAsync(t, CashierProviders.Card, amountMinor, (acquirer, session) => acquirer.ChargeCardAsync(
            new CardCharge($"cashier-{session.OrganisationId}-{session.Id}", card, session.AmountMinor,
                session.Currency, Capture: true)
            {
                RequestChallenge = true,
            }, cancellationToken), cancellationToken);

    public Task<CashierTransaction> DepositByEftAsync(CashierTransaction t, string bank, string account,
        long? amountMinor, CancellationToken cancellationToken) =>
        DepositAsync(t, CashierProviders.Eft, amountMinor, (acquirer, session) => acquirer.ChargeEftAsync(
            new EftCharge($"cashier-{session.OrganisationId}-{session.Id}", bank, account, session.AmountMinor,
                session.Currency),
            cancellationToken), cancellationToken);

    /// <summary>The 3-D Secure page's answer: the acquirer's final word decides the deposit.</summary>
    public async Task<CashierTransaction> CompleteChallengeAsync(CashierTransaction t, bool passed,
        CancellationToken cancellationToken)
    {
        if (t.Stage != CashierStages.Authenticating) return t;
        var result = await CallAsync(() => acquirers.For(t.Mode == OrganisationModes.Test)
            .CompleteChallengeAsync(t.ProviderReference!, passed, cancellationToken));
        return await ChangeAsync(t, Charged(t, result, time.GetUtcNow()), s => s.Stage == CashierStages.Authenticating,
            cancellationToken);
    }

    /// <summary>
    /// The user asks for the payout on the page: it then waits, pending, for the merchant's decision.
    /// </summary>
    public async Task<CashierTransaction> RequestPayoutAsync(CashierTransaction t, string holder, string bank,
        string account, CancellationToken cancellationToken)
    {
        if (t.Type != CashierTypes.Withdrawal || t.Stage != CashierStages.Session) return t;
        var (keyId, sealedAccount) = cipher.Seal(account, SealContext(t));
        var requested = t with
        {
            Stage = CashierStages.Requested, ProviderId = CashierProviders.BankTransfer.Id, PayoutHolder = holder,
            PayoutBank = bank, PayoutKeyId = keyId, PayoutAccountSealed = sealedAccount,
            PayoutAccountMasked = new string('*', Math.Max(0, account.Length - 4))
                + account[^Math.Min(4, account.Length)..],
            Version = t.Version + 1, Updated = time.GetUtcNow(),
        };
        return await ChangeAsync(t, requested, s => s.Stage == CashierStages.Session, cancellationToken);
    }

    /// <summary>
    /// Approves a payout the user asked for; the payout runner then sends it to the provider. Approving again is
    /// answered the same; a payout already rejected, or not yet asked for by the user, is a 409.
    /// </summary>
    public async Task<CashierTransaction> ApproveAsync(Organisation organisation, string id,
        CancellationToken cancellationToken)
    {
        for (var t = await PayoutAsync(organisation, id, cancellationToken); ;
            t = await RereadAsync(t, cancellationToken))
        {
            if (t.Decision == "approved") return t;
            if (t.Decision == "rejected" || t.IsFinal) throw ApiException.Conflict(
                $"This payout was already {t.Status}; it cannot be approved.");
            if (t.Stage != CashierStages.Requested)
            {
                throw ApiException.Conflict(
                    "The user has not asked for this payout yet; it can be rejected, not approved.");
            }
            var approved = t with { Stage = CashierStages.Approved, Decision = "approved", Updated = time.GetUtcNow() };
            await store.NoteDueAsync(t, time.GetUtcNow(), cancellationToken);
            if (await store.ChangeAsync(t, approved, null, time.GetUtcNow(), cancellationToken) is { } written)
                return written;
        }
    }

    /// <summary>
    /// Rejects a pending payout (asked for or not); rejecting again is answered the same; an approved one is a 409.
    /// </summary>
    public async Task<CashierTransaction> RejectAsync(Organisation organisation, string id,
        CancellationToken cancellationToken)
    {
        for (var t = await PayoutAsync(organisation, id, cancellationToken); ;
            t = await RereadAsync(t, cancellationToken))
        {
            if (t.Decision == "rejected") return t;
            if (t.Decision == "approved") throw ApiException.Conflict(
                "This payout was already approved; it cannot be rejected.");
            if (t.IsFinal) throw ApiException.Conflict($"This payout was already {t.Status}; it cannot be rejected.");
            var rejected = t.Finish(CashierStatuses.Rejected, MerchantRejection, time.GetUtcNow())
                with { Decision = "rejected" };
            var change = rejected.Event();
            if (await store.ChangeAsync(t, rejected, change, time.GetUtcNow(), cancellationToken) is { } written)
            {
                await events.PublishAsync(change, cancellationToken);
                return written;
            }
        }
    }

    /// <summary>
    /// The payout runner's step for one due transaction: an approved payout goes to the provider; a page or a 3-D
    /// Secure challenge left open past the session's lifetime is rejected. Safe to repeat and to race.
    /// </summary>
    public async Task<CashierTransaction> ResolveAsync(CashierTransaction t, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        switch (t.Stage)
        {
            case CashierStages.Approved:
                var account = cipher.Open(t.PayoutKeyId!, t.PayoutAccountSealed!, SealContext(t));
                var paid = await payoutBank.PayAsync(account, t.AmountMinor, t.Currency,
                    $"payout-{t.OrganisationId}-{t.Id}", cancellationToken);
                var finished = t.Finish(paid.Paid ? CashierStatuses.Successful : CashierStatuses.Rejected,
                    paid.Reason, now) with { ProviderReference = paid.Reference };
                return await ChangeAsync(t, finished, s => s.Stage == CashierStages.Approved, cancellationToken);
            case CashierStages.Authenticating:
                return await CompleteChallengeAsync(t, passed: false, cancellationToken);
            case CashierStages.Session:
                return await ChangeAsync(t, t.Finish(CashierStatuses.Rejected, Expired, now),
                    s => s.Stage == CashierStages.Session, cancellationToken);
            default:
                return t;
        }
    }

    /// <summary>Every provider of the catalogue, and whether the organisation offers it.</summary>
    public async Task<IReadOnlyList<(CashierProvider Provider, bool Enabled)>> ProvidersAsync(long organisationId,
        CancellationToken cancellationToken)
    {
        var disabled = await store.DisabledProvidersAsync(organisationId, cancellationToken);
        return [.. CashierProviders.All.Select(p => (p, !disabled.Contains(p.Id)))];
    }

    /// <summary>
    /// Offers exactly <paramref name="enabled"/>; transactions already opened keep what they offered.
    /// </summary>
    public Task SetProvidersAsync(long organisationId, IReadOnlyCollection<int> enabled,
        CancellationToken cancellationToken) =>
        store.SetDisabledProvidersAsync(organisationId,
            CashierProviders.All.Select(p => p.Id).Where(id => !enabled.Contains(id)), cancellationToken);

    /// <summary>
    /// The amount booked in the organisation's currency and the conversion's margin: test mode converts at the
    /// configured rates; live mode refuses another currency until a rate source is integrated.
    /// </summary>
    public (long Amount, long Fx) Convert(long userMinor, string userCurrency, string currency, bool test, string field)
    {
        if (userCurrency == currency) return (userMinor, 0);
        if (!test) throw ApiException.BadRequest(field,
            $"must be {currency} in live mode: currencies are converted only in test mode.");
        var rates = options.Value.FxRates;
        if (!rates.TryGetValue(userCurrency, out var from) || !rates.TryGetValue(currency, out var to))
        {
            throw ApiException.BadRequest(field, $"no exchange rate from {userCurrency} to {currency} is configured.");
        }
        var gross = userMinor * from / to;
        var fx = (long)decimal.Round(gross * options.Value.FxMargin, MidpointRounding.AwayFromZero);
        var amount = (long)decimal.Round(gross, MidpointRounding.AwayFromZero) - fx;
        return amount is > 0 and <= Money.MaxMinor
            ? (amount, fx)
            : throw ApiException.BadRequest(field, "converts to an amount out of range.");
    }

    public static ApiException NotFound() => ApiException.NotFound("Transaction not found.");

    private async Task<CashierTransaction> DepositAsync(CashierTransaction t, CashierProvider provider,
        long? amountMinor, Func<IAcquirer, CashierTransaction, Task<AcquirerResult>> charge,
        CancellationToken cancellationToken)
    {
        if (t.Type != CashierTypes.Deposit || t.Stage != CashierStages.Session) return t;
        var session = t with { ProviderId = provider.Id };
        if (amountMinor is { } chosen && chosen != t.UserAmountMinor)
        {
            if (t.AmountRestricted) throw ApiException.BadRequest("amount", "cannot be changed for this deposit.");
            if (t.MaxDepositMinor is { } max && chosen > max)
            {
                throw ApiException.BadRequest("amount", $"must be at most {Money.Format(max)} {t.UserCurrency}.");
            }
            var (amount, fx) = Convert(chosen, t.UserCurrency, t.Currency, t.Mode == OrganisationModes.Test, "amount");
            session = session with { UserAmountMinor = chosen, AmountMinor = amount, FxMinor = fx };
        }
        var result = await CallAsync(() => charge(acquirers.For(t.Mode == OrganisationModes.Test), session));
        return await ChangeAsync(t, Charged(session, result, time.GetUtcNow()), s => s.Stage == CashierStages.Session,
            cancellationToken);
    }

    /// <summary>The transaction after the acquirer's answer: waiting for 3-D Secure, successful or rejected.</summary>
    private static CashierTransaction Charged(CashierTransaction t, AcquirerResult result,
        DateTimeOffset now) => result.Outcome switch
    {
        AcquirerOutcome.ChallengeRequired => t with
        {
            Stage = CashierStages.Authenticating, ProviderReference = result.Reference,
            Version = t.Version + 1, Updated = now,
        },
        AcquirerOutcome.Approved => t.Finish(CashierStatuses.Successful, null, now)
            with { ProviderReference = result.Reference },
        _ => t.Finish(CashierStatuses.Rejected, result.ResponseText, now) with { ProviderReference = result.Reference },
    };

    /// <summary>
    /// Writes <paramref name="after"/> over <paramref name="before"/> with the event of a status change (or of a
    /// payout asked for, which the merchant must act on). If another writer won, the current transaction is the
    /// answer, unless it is still in the state this change applies to (then the loser retries on the fresh read).
    /// </summary>
    private async Task<CashierTransaction> ChangeAsync(CashierTransaction before, CashierTransaction after,
        Func<CashierTransaction, bool> applies, CancellationToken cancellationToken)
    {
        var change = after.Status != before.Status || after.Stage == CashierStages.Requested ? after.Event() : null;
        if (await store.ChangeAsync(before, after, change, time.GetUtcNow(), cancellationToken) is { } written)
        {
            if (change is not null) await events.PublishAsync(change, cancellationToken);
            return written;
        }
        var current = await RereadAsync(before, cancellationToken);
        if (!applies(current)) return current;
        var retried = after with { ETag = current.ETag, Version = current.Version + 1 };
        return await ChangeAsync(current, retried, applies, cancellationToken);
    }

    private async Task<CashierTransaction> RereadAsync(CashierTransaction t, CancellationToken cancellationToken) =>
        await store.GetAsync(t.OrganisationId, t.Id, cancellationToken) ?? throw NotFound();

    private async Task<CashierTransaction> PayoutAsync(Organisation organisation, string id,
        CancellationToken cancellationToken)
    {
        var t = await FindAsync(organisation.Id, id, cancellationToken);
        return t is { Type: CashierTypes.Withdrawal } ? t : throw NotFound();
    }

    private static CashierTransaction Repeat(CashierTransaction earlier, string fingerprint) =>
        earlier.RequestHash == fingerprint
            ? earlier
            : throw new ApiException(StatusCodes.Status422UnprocessableEntity,
                "request[tracking_id]: was already used for a different request; use a new tracking_id.");

    /// <summary>
    /// The providers the organisation offers for the request's type; the one it names must be among them.
    /// </summary>
    private static IReadOnlyList<int> Offered(IReadOnlyList<int> disabled, CashierRequest request)
    {
        List<int> offered =
            [.. CashierProviders.For(request.Type).Select(p => p.Id).Where(id => !disabled.Contains(id))];
        if (request.ProviderId is { } chosen && !offered.Contains(chosen))
        {
            throw ApiException.BadRequest(ProviderField(request),
                "is not enabled for this organisation (see /api/cashier/providers).");
        }
        return offered.Count > 0
            ? offered
            : throw ApiException.Conflict($"No {request.Type} provider is enabled for this organisation; " +
                "enable one with PUT /api/cashier/providers.");
    }

    private static string ProviderField(CashierRequest request) =>
        request.Entry == CashierEntry.ServerToServer ? "request[routing_id]" : "request[provider_id]";

    private static void RefuseProvider(CashierRequest request)
    {
        if (request.ProviderId is not { } id) return;
        var field = ProviderField(request);
        var provider = CashierProviders.Find(id);
        if (provider is null || provider.Type != CashierTypes.Deposit)
        {
            throw ApiException.BadRequest(field, "is not a deposit provider; use one of " +
                $"{string.Join(", ", CashierProviders.For(CashierTypes.Deposit).Select(p => p.Id))}.");
        }
        if (request.Entry == CashierEntry.ServerToServer && provider.Method != "card")
        {
            throw ApiException.BadRequest(field,
                $"must be a card provider ({CashierProviders.Card.Id}) for card details.");
        }
    }

    private static async Task<AcquirerResult> CallAsync(Func<Task<AcquirerResult>> call)
    {
        try
        {
            return await call();
        }
        catch (AcquirerUnavailableException)
        {
            throw new ApiException(StatusCodes.Status502BadGateway,
                "The provider did not answer; the outcome is unknown. " +
                "Retry with the same tracking_id, or look the transaction up.");
        }
    }

    /// <summary>Binds a sealed account number to its transaction, so it cannot be moved to another.</summary>
    private static string SealContext(CashierTransaction t) => $"cashier-payout|{t.OrganisationId}|{t.Id}";
}
