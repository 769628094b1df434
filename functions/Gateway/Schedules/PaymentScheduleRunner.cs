using System.Globalization;
using Gateway.Cards;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Schedules;

/// <summary>What one run did, for the log and the admin endpoint's callers.</summary>
public sealed record ScheduleRunResult(int Organisations, int Occurrences, int Failures);

/// <summary>
/// Timer function (every minute; on demand through the admin endpoint): charges every due occurrence of every
/// payment schedule through its stored card, exactly once, however many runners run at once and wherever one dies.
/// <list type="number">
/// <item>Claim: the occurrence is claimed on its schedule row by an ETag-checked write (one runner wins; the claim
/// has a lease in real time).</item>
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
    TimeProvider time, ILogger<PaymentScheduleRunner> logger) : ITimerFunction
{
    public const string Service = "Schedule";

    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken) => await RunOnceAsync(cancellationToken);

    public async Task<ScheduleRunResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var run = new Run(Guid.NewGuid().ToString("N"));
        var organisations = await store.RegisteredAsync(cancellationToken);
        foreach (var organisationId in organisations)
        {
            if (await identity.GetOrganisationAsync(organisationId, cancellationToken) is not { } organisation) continue;
            var zone = ApiTime.Zone(organisation.TimeZone);
            var due = await store.DueAsync(organisationId, ScheduleCalendar.Today(organisation.Now(time), zone), cancellationToken);
            // Shuffled, so runners that start together spread over the schedules instead of queuing on the same ones.
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(due));
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = cancellationToken },
                async (schedule, ct) => await ProcessAsync(run, organisation, schedule, stopNow: false, ct));
        }
        if (run.Occurrences > 0 || run.Failures > 0)
        {
            logger.LogInformation("Schedule run {Runner}: {Occurrences} occurrences processed, {Failures} schedules left for a later run",
                run.Id, run.Occurrences, run.Failures);
        }
        return new ScheduleRunResult(organisations.Count, run.Occurrences, run.Failures);
    }

    /// <summary>
    /// Stops the active schedules of a deleted card at once, each with a failed transaction (and so an error webhook)
    /// for the occurrence that will now never be charged. A schedule with a charge in flight is left to its runner,
    /// which completes that charge and then stops the schedule the same way.
    /// </summary>
    public async Task StopForCardAsync(Organisation organisation, Guid cardGuid, CancellationToken cancellationToken)
    {
        var run = new Run(Guid.NewGuid().ToString("N"));
        foreach (var schedule in await store.ListAsync(organisation.Id, cardGuid, cancellationToken))
        {
            if (schedule.State == ScheduleStates.Active) await ProcessAsync(run, organisation, schedule, stopNow: true, cancellationToken);
        }
        await PurgeIfIdleAsync(organisation, cardGuid, cancellationToken);
    }

    private sealed class Run(string id)
    {
        private int _occurrences;
        private int _failures;

        public string Id { get; } = id;
        public int Occurrences => _occurrences;
        public int Failures => _failures;
        public void Processed() => Interlocked.Increment(ref _occurrences);
        public void Failed() => Interlocked.Increment(ref _failures);
    }

    /// <summary>Claims and charges a schedule's due occurrences in order; returns when none is due or another runner holds it.</summary>
    private async Task ProcessAsync(Run run, Organisation organisation, PaymentSchedule? schedule, bool stopNow, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 0; schedule is not null && attempt < PaymentService.MaxAttempts; attempt++)
            {
                var realNow = time.GetUtcNow();
                OccurrenceClaim claim;
                if (schedule.Claim is { } held)
                {
                    if (held.Runner != run.Id && held.Until > realNow) return; // another runner is charging it
                    claim = held with { Runner = run.Id, Until = realNow + options.Value.ClaimLease };
                }
                else
                {
                    if (schedule.State != ScheduleStates.Active || schedule.Next >= schedule.Count) return;
                    if (!stopNow && DueAt(schedule, schedule.Next, organisation) > organisation.Now(time)) return;
                    claim = new OccurrenceClaim(schedule.Next, run.Id, realNow + options.Value.ClaimLease);
                }

                var claimed = await store.TryReplaceAsync(schedule, schedule with { Claim = claim }, cancellationToken);
                if (claimed is null)
                {
                    // Changed since read: another runner, an update or a delete; or this very claim, landed with its answer lost.
                    schedule = await store.GetAsync(organisation.Id, schedule.Id, cancellationToken);
                    continue;
                }
                var resumed = schedule.Claim is not null;
                var after = await ChargeAsync(organisation, claimed, claim.Index, resumed, cancellationToken);
                if (after is not null) run.Processed();
                schedule = after ?? await store.GetAsync(organisation.Id, schedule.Id, cancellationToken);
                if (stopNow) return;
            }
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The claim stays and lapses; a later run resumes the same occurrence under the same acquirer key.
            run.Failed();
            logger.LogWarning(error, "Schedule {ScheduleId} of organisation {OrganisationId}: run {Runner} stopped; its claim will be resumed",
                schedule?.Id, organisation.Id, run.Id);
        }
    }

    private DateTimeOffset DueAt(PaymentSchedule schedule, int index, Organisation organisation) =>
        ScheduleCalendar.DueAt(schedule.DateOf(index), options.Value.ChargeTime, ApiTime.Zone(organisation.TimeZone));

    /// <summary>
    /// Charges the claimed occurrence and commits it with the schedule's advance. Returns the schedule as written, or
    /// null when another runner took the claim over and committed first (this runner's work is then discarded).
    /// </summary>
    private async Task<PaymentSchedule?> ChargeAsync(Organisation organisation, PaymentSchedule claimed, int index, bool resumed,
        CancellationToken cancellationToken)
    {
        var now = organisation.Now(time);
        var date = claimed.DateOf(index);
        var card = await vault.GetStoredAsync(organisation.Id, claimed.CardGuid, cancellationToken);
        // A charge already in flight (a resumed claim) finishes on the card even if it has just been deleted: the
        // acquirer may have taken it. A new one on a deleted card stops the schedule instead.
        var stopped = card is null || (card.Deleted is not null && !resumed);
        var acquirer = acquirers.For(organisation.Mode == OrganisationModes.Test);
        AcquirerResult result;
        if (stopped)
        {
            result = Refusal("card_deleted", "Card token deleted: payment schedule stopped");
        }
        else if (now - DueAt(claimed, index, organisation) > options.Value.CatchUpWindow)
        {
            result = Refusal("missed", string.Create(CultureInfo.InvariantCulture,
                $"Missed: due {ScheduleCalendar.Show(date)} while payments were not running, and past the {options.Value.CatchUpWindow.TotalDays:0.#}-day catch-up window"));
        }
        else if (card!.IsExpired(ScheduleCalendar.Today(now, ApiTime.Zone(organisation.TimeZone))))
        {
            result = Refusal("expired_card", "The stored card has expired", "54");
        }
        else
        {
            var charge = new CardCharge(claimed.ChargeKey(index), vault.Open(card), claimed.AmountMinor, claimed.Currency, Capture: true);
            result = await acquirer.ChargeCardAsync(charge, cancellationToken);
            if (result.Outcome == AcquirerOutcome.ChallengeRequired)
            {
                // Nobody is there to pass 3-D Secure: a scheduled charge the issuer wants authenticated is declined.
                result = result with { Outcome = AcquirerOutcome.Declined, DeclineCode = "authentication_required",
                    ResponseText = "The issuer asked for 3-D Secure, which a scheduled charge cannot pass" };
            }
        }

        var id = await paymentService.NextIdAsync(cancellationToken);
        var draft = new PaymentTransaction
        {
            Id = id, OrganisationId = organisation.Id, UserId = claimed.UserId, Username = claimed.Username,
            Status = TransactionStatus.Pending, PaymentType = PaymentTypes.Card, Service = Service, Gateway = acquirer.Name,
            AmountMinor = claimed.AmountMinor, Currency = claimed.Currency, MerchantReference = claimed.Reference,
            GatewayReference = Guid.NewGuid().ToString(),
            PaymentKey = secrets.Sign("schedule-payment-key", claimed.ChargeKey(index))[..32],
            Created = now, IsDemo = organisation.Mode == OrganisationModes.Test, CardGuid = claimed.CardGuid,
            Response = ResponseFor(card, claimed),
        };
        var transaction = await paymentService.WithOutcomeAsync(draft, result, cancellationToken);
        var last = index + 1 >= claimed.Count;
        var advanced = claimed with
        {
            Claim = null,
            Next = index + 1,
            State = stopped ? ScheduleStates.Stopped : last && claimed.State == ScheduleStates.Active ? ScheduleStates.Completed : claimed.State,
            StateReason = stopped ? "card_deleted" : claimed.StateReason,
        };
        var paymentEvent = PaymentEvent.For(transaction);
        var occurrence = new Occurrence(claimed.Id, index, date, id, transaction.Status, transaction.Reason);
        var commit = await payments.SubmitAsync(
        [
            Storage.TableOperation.Insert(transaction.ToEntity()),
            PaymentStore.IndexRow(organisation.Id, PaymentRows.GatewayReferenceRow(transaction.GatewayReference), id),
            PaymentStore.IndexRow(organisation.Id, PaymentRows.MerchantReferenceRow(transaction.MerchantReference, id), id),
            PaymentStore.IndexRow(organisation.Id, PaymentRows.PaymentKeyRow(transaction.PaymentKey), id),
            paymentEvent.ToInsert(time.GetUtcNow(), null),
            Storage.TableOperation.Insert(occurrence.ToEntity(organisation.Id, time.GetUtcNow())),
            Storage.TableOperation.Replace(advanced.ToEntity(), claimed.ETag!),
        ], cancellationToken);

        PaymentSchedule? written = commit.Succeeded ? advanced with { ETag = commit.ETags[6] } : null;
        // Refused: another runner committed this occurrence first, or this commit landed and only its answer was lost.
        if (written is null && (await payments.GetAsync(organisation.Id, id, cancellationToken)) is null) return null;
        await events.PublishAsync(paymentEvent, cancellationToken);
        if (stopped) await PurgeIfIdleAsync(organisation, claimed.CardGuid, cancellationToken);
        return written ?? await store.GetAsync(organisation.Id, claimed.Id, cancellationToken);
    }

    /// <summary>The masked card and its token (the documents' <c>card_token</c>), or only the amount once the card is gone.</summary>
    private static System.Text.Json.Nodes.JsonObject ResponseFor(StoredCard? card, PaymentSchedule schedule)
    {
        var response = new System.Text.Json.Nodes.JsonObject { ["amount"] = schedule.AmountMinor, ["currency"] = Money.NumericCode(schedule.Currency) };
        if (card is null) return response;
        response["card"] = card.Masked;
        response["cardName"] = card.Brand;
        response["bin"] = card.Bin;
        response["card_token"] = card.Guid.ToString();
        return response;
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
