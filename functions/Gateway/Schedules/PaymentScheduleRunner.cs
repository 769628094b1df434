using System.Globalization;
using Microsoft.Azure.Functions.Worker;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Schedules;

/// <summary>What one run did, for the log and the admin endpoint's callers.</summary>
public sealed record ScheduleRunResult(int Occurrences, int Failures);

/// <summary>
/// Timer function (every minute; on demand through the admin endpoint): charges every due occurrence of every
/// payment schedule through its stored card, exactly once, however many runners run at once and wherever one dies.
/// <list type="number">
/// <item>Claim: the occurrence is claimed on its schedule row by an ETag-checked write (one runner wins; the claim
/// has a lease in real time), with the decision made for it: charge, or record it as failed without a charge
/// (missed, card expired, card deleted). A resumed claim keeps that decision.</item>
/// <item>Charge: the acquirer is asked under an idempotency key made from the occurrence (organisation, schedule,
/// index), so a resumed claim gets the first attempt's answer instead of a second charge.</item>
/// <item>Commit: the transaction, its outbox event, the occurrence row (an insert: at most one per occurrence) and
/// the schedule's advance (ETag-checked against the claim) are one entity-group transaction.</item>
/// </list>
/// A runner that dies after claiming leaves the claim to lapse; the next runner resumes that same occurrence. A runner
/// that was only slow finds its commit refused (the claim was taken over) and moves on. Occurrences missed while no
/// runner ran are charged oldest first within <see cref="ScheduleOptions.CatchUpWindow"/>, and recorded as failed
/// ("missed") beyond it.
/// </summary>
public sealed class PaymentScheduleRunner(
    ScheduleStore store, PaymentStore payments, PaymentService paymentService, PaymentEvents events, CardVault vault,
    AcquirerRouter acquirers, IdentityStore identity, PaymentSecrets secrets, IOptions<ScheduleOptions> options,
    TimeProvider time, ILogger<PaymentScheduleRunner> logger)
{
    public const string Service = "Schedule";

    /// <remarks>
    /// Every minute, so a charge falls due within a minute of its time. Missed occurrences are caught up by the next
    /// run (see <see cref="ScheduleOptions.CatchUpWindow"/>), so a missed run needs no replay and no schedule monitor.
    /// </remarks>
    [Function(nameof(PaymentScheduleRunner))]
    public async Task Run([TimerTrigger("0 * * * * *", UseMonitor = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        await RunOnceAsync(cancellationToken);
    }

    public async Task<ScheduleRunResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var run = new Pass(Guid.NewGuid().ToString("N"));
        var organisations = await store.RegisteredAsync(cancellationToken);
        foreach (var organisationId in organisations)
        {
            try
            {
                if (await identity.GetOrganisationAsync(organisationId, cancellationToken) is not { } organisation) continue;
                var zone = ApiTime.Zone(organisation.TimeZone);
                var due = await store.DueAsync(organisationId, ScheduleCalendar.Today(organisation.Now(time), zone), cancellationToken);
                // Shuffled, so that runners at once (rare: the host runs a timer on one instance at a time) spread out.
                Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(due));
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = cancellationToken },
                    async (schedule, ct) => await ProcessAsync(run, organisation, schedule, cardDeleted: false, ct));
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One organisation's trouble (storage failing on its query) does not hold up the others.
                run.Failed();
                logger.LogWarning(error, "Schedule run {Runner}: organisation {OrganisationId} left for a later run", run.Id, organisationId);
            }
        }
        if (run.Occurrences > 0 || run.Failures > 0)
        {
            logger.LogInformation("Schedule run {Runner}: {Occurrences} occurrences processed, {Failures} schedules left for a later run",
                run.Id, run.Occurrences, run.Failures);
        }
        return new ScheduleRunResult(run.Occurrences, run.Failures);
    }

    /// <summary>
    /// Stops the active schedules of a deleted card at once, each with a failed transaction (and so an error webhook)
    /// for the occurrence that will now never be charged. A schedule whose charge is in flight is left to its runner,
    /// which books that charge and then, finding the card deleted, stops the schedule the same way.
    /// </summary>
    public async Task StopForCardAsync(Organisation organisation, Guid cardGuid, CancellationToken cancellationToken)
    {
        var run = new Pass(Guid.NewGuid().ToString("N"));
        foreach (var schedule in await store.ListAsync(organisation.Id, cardGuid, cancellationToken))
        {
            if (schedule.State == ScheduleStates.Active) await ProcessAsync(run, organisation, schedule, cardDeleted: true, cancellationToken);
        }
        await PurgeIfIdleAsync(organisation, cardGuid, cancellationToken);
    }

    private sealed class Pass(string id)
    {
        private int _occurrences;
        private int _failures;

        public string Id { get; } = id;
        public int Occurrences => _occurrences;
        public int Failures => _failures;
        public void Processed() => Interlocked.Increment(ref _occurrences);
        public void Failed() => Interlocked.Increment(ref _failures);
    }

    /// <summary>
    /// Claims and processes a schedule's occurrences in order while they are due (or, its card deleted, stops it);
    /// returns when none is left to do or another runner holds it. <paramref name="cardDeleted"/>: known deleted, so
    /// the schedule stops without waiting for a due date.
    /// </summary>
    private async Task ProcessAsync(Pass run, Organisation organisation, PaymentSchedule? schedule, bool cardDeleted, CancellationToken cancellationToken)
    {
        try
        {
            // Bounded, so one schedule with a long backlog cannot hold a run: the next run goes on with it.
            for (var step = 0; schedule is not null && step < PaymentService.MaxAttempts; step++)
            {
                var realNow = time.GetUtcNow();
                OccurrenceClaim claim;
                StoredCard? card = null;
                cardDeleted |= schedule.CardDeleted;
                if (schedule.Claim is { } held)
                {
                    if (held.Runner != run.Id && held.Until > realNow) return; // another runner is on it
                    claim = held with { Runner = run.Id, Until = realNow + options.Value.ClaimLease };
                }
                else
                {
                    if (schedule.State != ScheduleStates.Active || schedule.Next >= schedule.Count) return;
                    var due = DueAt(schedule, schedule.Next, organisation);
                    if (!cardDeleted && due > organisation.Now(time)) return;
                    card = await vault.GetStoredAsync(organisation.Id, schedule.CardGuid, cancellationToken);
                    if (Decide(organisation, due, card) is not { } decision) return;
                    claim = new OccurrenceClaim(schedule.Next, run.Id, realNow + options.Value.ClaimLease, decision);
                }

                // Refused: changed since read, almost always by another runner that processed it first (every runner
                // tries every due schedule), else an update, a delete, or this very claim landed with its answer
                // lost. Moving on is right in each case: a claim of ours left behind lapses and a later run resumes it.
                if (await store.TryReplaceAsync(schedule, schedule with { Claim = claim }, cancellationToken) is not { } claimed) return;
                // A resumed claim reads the card afresh (kept, even if deleted, while the claim is on).
                card ??= await vault.GetStoredAsync(organisation.Id, schedule.CardGuid, cancellationToken);
                var after = await CommitAsync(organisation, claimed, claim, card, cancellationToken);
                if (after is not null) run.Processed();
                schedule = after ?? await store.GetAsync(organisation.Id, schedule.Id, cancellationToken);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The claim stays and lapses; a later run resumes the same occurrence with the same decision and key. A
            // failure that repeats before the acquirer (a vault key removed from configuration) repeats here, every
            // lease, until fixed: the gateway cannot tell whether an earlier attempt reached the acquirer.
            run.Failed();
            logger.LogWarning(error, "Schedule {ScheduleId} of organisation {OrganisationId}: run {Runner} stopped; its claim will be resumed",
                schedule?.Id, organisation.Id, run.Id);
        }
    }

    /// <summary>What to do with the schedule's next occurrence (due at <paramref name="due"/>) now; null when it is not due yet.</summary>
    private string? Decide(Organisation organisation, DateTimeOffset due, StoredCard? card)
    {
        if (card is null || card.Deleted is not null) return ChargeDecisions.CardDeleted; // at once, due or not
        var now = organisation.Now(time);
        if (due > now) return null;
        if (now - due > options.Value.CatchUpWindow) return ChargeDecisions.Missed;
        return card.IsExpired(ScheduleCalendar.Today(now, ApiTime.Zone(organisation.TimeZone))) ? ChargeDecisions.ExpiredCard : ChargeDecisions.Charge;
    }

    private DateTimeOffset DueAt(PaymentSchedule schedule, int index, Organisation organisation) =>
        ScheduleCalendar.DueAt(schedule.DateOf(index), options.Value.ChargeTime, ApiTime.Zone(organisation.TimeZone));

    /// <summary>
    /// Carries out the claim's decision and commits it with the schedule's advance. Returns the schedule as written,
    /// or null when another runner took the claim over and committed first (this runner's work is then discarded).
    /// </summary>
    private async Task<PaymentSchedule?> CommitAsync(Organisation organisation, PaymentSchedule claimed, OccurrenceClaim claim, StoredCard? card,
        CancellationToken cancellationToken)
    {
        var index = claim.Index;
        var date = claimed.DateOf(index);
        var acquirer = acquirers.For(organisation.Mode == OrganisationModes.Test);
        var result = claim.Decision switch
        {
            ChargeDecisions.CardDeleted => Refusal(ChargeDecisions.CardDeleted, "Card token deleted: payment schedule stopped"),
            ChargeDecisions.Missed => Refusal(ChargeDecisions.Missed, string.Create(CultureInfo.InvariantCulture,
                $"Missed: due {ScheduleCalendar.Show(date)} while payments were not running, and past the {options.Value.CatchUpWindow.TotalDays:0.#}-day catch-up window")),
            ChargeDecisions.ExpiredCard => Refusal(ChargeDecisions.ExpiredCard, "The stored card has expired", "54"),
            _ => await ChargeAsync(acquirer, claimed, claim, card, cancellationToken),
        };

        var id = await paymentService.NextIdAsync(cancellationToken);
        var draft = new PaymentTransaction
        {
            Id = id, OrganisationId = organisation.Id, UserId = claimed.UserId, Username = claimed.Username,
            Status = TransactionStatus.Pending, PaymentType = PaymentTypes.Card, Service = Service, Gateway = acquirer.Name,
            AmountMinor = claimed.AmountMinor, Currency = claimed.Currency, MerchantReference = claimed.Reference,
            GatewayReference = Guid.NewGuid().ToString(),
            // Made from the occurrence, and indexed with an insert: a second transaction for it cannot be written.
            PaymentKey = secrets.Sign("schedule-payment-key", claimed.ChargeKey(index))[..32],
            Created = organisation.Now(time), IsDemo = organisation.Mode == OrganisationModes.Test, CardGuid = claimed.CardGuid,
            Response = card is null ? Responses.ForAmount(claimed.AmountMinor, claimed.Currency)
                : Responses.ForCard(card.Masked, card.Brand, card.Bin, claimed.AmountMinor, claimed.Currency, card.Guid),
        };
        var transaction = await paymentService.WithOutcomeAsync(draft, result, cancellationToken);
        var stopped = claim.Decision == ChargeDecisions.CardDeleted;
        var advanced = claimed with
        {
            Claim = null,
            Next = index + 1,
            State = stopped ? ScheduleStates.Stopped
                : index + 1 >= claimed.Count && claimed.State == ScheduleStates.Active ? ScheduleStates.Completed : claimed.State,
        };
        var paymentEvent = PaymentEvent.For(transaction);
        var occurrence = new Occurrence(claimed.Id, index, date, id, transaction.Status, transaction.Reason);
        var now = time.GetUtcNow();
        // The schedule's advance is the last row, so its new ETag is the last.
        var commit = await payments.SubmitAsync(
            [.. PaymentStore.NewTransaction(transaction, paymentEvent, now, indexPaymentKey: true), .. ScheduleStore.Booked(occurrence, advanced, claimed.ETag, now)],
            cancellationToken);

        PaymentSchedule? written = commit is [.., var etag] ? advanced with { ETag = etag } : null;
        // Refused: another runner committed this occurrence first, or this commit landed and only its answer was lost.
        if (written is null && (await payments.GetAsync(organisation.Id, id, cancellationToken)) is null) return null;
        await events.PublishAsync(paymentEvent, cancellationToken);
        // A deleted card's row is kept only while a charge with it may be in flight: the last one done, it goes.
        if (card?.Deleted is not null) await PurgeIfIdleAsync(organisation, claimed.CardGuid, cancellationToken);
        return written ?? await store.GetAsync(organisation.Id, claimed.Id, cancellationToken);
    }

    /// <summary>
    /// Asks the acquirer under the occurrence's key. The card is there even if deleted meanwhile (its row is kept while
    /// claimed). A claim about to lapse is not used: another runner may be resuming it.
    /// </summary>
    private async Task<AcquirerResult> ChargeAsync(IAcquirer acquirer, PaymentSchedule claimed, OccurrenceClaim claim, StoredCard? card, CancellationToken cancellationToken)
    {
        if (card is null) throw new InvalidOperationException($"The card of schedule {claimed.Id} is gone while a charge of it is claimed.");
        if (claim.Until - time.GetUtcNow() < options.Value.ClaimLease / 2) throw new TimeoutException("The claim's lease ran low before the acquirer was asked.");
        var result = await acquirer.ChargeCardAsync(
            new CardCharge(claimed.ChargeKey(claim.Index), vault.Open(card), claimed.AmountMinor, claimed.Currency, Capture: true), cancellationToken);
        // Nobody is there to pass 3-D Secure: a scheduled charge the issuer wants authenticated is declined.
        return result.Outcome == AcquirerOutcome.ChallengeRequired
            ? PaymentService.DeclineChallenge(result, "The issuer asked for 3-D Secure, which a scheduled charge cannot pass")
            : result;
    }

    private static AcquirerResult Refusal(string code, string text, string responseCode = "12") =>
        new(AcquirerOutcome.Declined, responseCode, text, code, null, "");

    /// <summary>
    /// A deleted card's sealed number is kept only while a charge made with it may still be in flight: once none of
    /// its schedules holds a claim, the row goes.
    /// </summary>
    private async Task PurgeIfIdleAsync(Organisation organisation, Guid cardGuid, CancellationToken cancellationToken)
    {
        if (await vault.GetStoredAsync(organisation.Id, cardGuid, cancellationToken) is not { Deleted: not null } card) return;
        var schedules = await store.ListAsync(organisation.Id, cardGuid, cancellationToken);
        if (schedules.Any(s => s.Claim is not null || s.State == ScheduleStates.Active)) return;
        await vault.PurgeAsync(card, cancellationToken);
    }
}
