using System.Globalization;
using Gateway.Api;
using Gateway.Cards;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Schedules;

/// <summary>One <c>schedules[n]</c> group of a create or update, checked.</summary>
public sealed record ScheduleRequest(string Interval, long AmountMinor, DateOnly StartDate, int Count)
{
    public static IReadOnlyList<ScheduleRequest> ReadAll(FormSection form, DateOnly today)
    {
        var groups = form.Sections("schedules");
        if (groups.Count == 0) throw ApiException.BadRequest("schedules", "must hold at least one schedule: schedules[0][interval], [amount], [start_date], [count].");
        if (groups.Count > ScheduleOptions.MaxPerRequest) throw ApiException.BadRequest("schedules", $"can hold at most {ScheduleOptions.MaxPerRequest} schedules.");
        return [.. groups.Select(g => Read(g, today))];
    }

    private static ScheduleRequest Read(FormSection group, DateOnly today)
    {
        var interval = group.Text("interval", 16)?.ToLowerInvariant() ?? throw ApiException.BadRequest(group.FieldName("interval"), "is required.");
        if (!Intervals.All.Contains(interval)) throw ApiException.BadRequest(group.FieldName("interval"), $"must be one of: {string.Join(", ", Intervals.All)}.");
        var amount = Money.Parse(group, "amount");
        var startText = group.Text("start_date", 10) ?? throw ApiException.BadRequest(group.FieldName("start_date"), "is required.");
        if (!DateOnly.TryParseExact(startText, ScheduleCalendar.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
        {
            throw ApiException.BadRequest(group.FieldName("start_date"), "must be a date as DD-MM-YYYY, e.g. 02-05-2027.");
        }
        // A start in the past would make the runner charge (or record as missed) occurrences nobody meant to happen now.
        if (start < today) throw ApiException.BadRequest(group.FieldName("start_date"), $"must be today ({ScheduleCalendar.Show(today)}) or later.");
        if (start > today.AddYears(5)) throw ApiException.BadRequest(group.FieldName("start_date"), "must be within five years.");
        var countText = group.TextOrNumber("count", 8) ?? throw ApiException.BadRequest(group.FieldName("count"), "is required.");
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is < 1 or > ScheduleOptions.MaxCount)
        {
            throw ApiException.BadRequest(group.FieldName("count"), $"must be a whole number of payments from 1 to {ScheduleOptions.MaxCount}.");
        }
        if (interval == Intervals.OnceOff && count != 1) throw ApiException.BadRequest(group.FieldName("count"), "must be 1 for a once_off schedule.");
        return new ScheduleRequest(interval, amount, start, count);
    }
}

/// <summary>
/// Creating, replacing and deleting a card's schedules. Every change is one entity-group transaction in the
/// organisation's partition that advances the card's schedule version (ETag-checked: changes of one card's set are
/// serialised, so the limit of active schedules holds under concurrent requests) and is ETag-checked against each
/// schedule it ends, so it cannot erase a runner's claim: an occurrence already claimed when its schedule is replaced
/// or deleted still completes (it was due and may already be at the acquirer); nothing is claimed after.
/// </summary>
public sealed class ScheduleService(ScheduleStore store, CardVault vault, PaymentStore payments, IdAllocator ids,
    AcquirerRouter acquirers, TimeProvider time)
{
    public const string Sequence = "schedule";

    /// <summary>The card, or 404: unknown, another organisation's, or deleted.</summary>
    public async Task<StoredCard> CardAsync(long organisationId, Guid guid, CancellationToken cancellationToken) =>
        await vault.GetAsync(organisationId, guid, cancellationToken) ?? throw CardTokens.CardNotFound();

    public static ApiException ScheduleNotFound() => ApiException.NotFound("Payment schedule not found.");

    /// <summary>Adds schedules to a card (<c>POST</c>), or replaces its unprocessed ones (<c>PUT</c>) when <paramref name="replace"/>.</summary>
    public async Task<StoredResponse> SaveAsync(Caller caller, Organisation organisation, Guid cardGuid, string? reference,
        IReadOnlyList<ScheduleRequest> requests, bool replace, IdempotencyScope scope, CancellationToken cancellationToken)
    {
        acquirers.RefuseUnavailable(organisation);
        (List<PaymentSchedule> Schedules, StoredResponse Response)? made = null;
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            var version = await store.CardVersionAsync(organisation.Id, cardGuid, cancellationToken);
            // Read after the version: a card deleted meanwhile (its delete advances the version too) is gone, which
            // for a create is its guid field naming no card, and for an update the URL's card not found.
            var card = await vault.GetAsync(organisation.Id, cardGuid, cancellationToken)
                ?? throw (replace ? CardTokens.CardNotFound() : SchedulesApi.UnknownCardField());
            made ??= await NewSchedulesAsync(caller, organisation, card, reference, requests, cancellationToken);
            var (created, response) = made.Value;
            var active = (await store.ListAsync(organisation.Id, cardGuid, cancellationToken)).Where(s => s.State == ScheduleStates.Active).ToList();
            var ending = replace ? active : [];
            if (active.Count - ending.Count + created.Count > ScheduleOptions.MaxActivePerCard)
            {
                throw ApiException.Conflict($"A card can have at most {ScheduleOptions.MaxActivePerCard} active schedules; delete some first.");
            }
            if (await payments.CommitAsync(
                [
                    version,
                    .. ScheduleStore.Changes(created, ending, ScheduleStates.Replaced),
                    scope.Complete(response),
                ], cancellationToken))
            {
                return response;
            }
            // Refused: a schedule changed (a runner's claim, a concurrent change), or this commit landed with its answer lost.
            if (await store.GetAsync(organisation.Id, created[0].Id, cancellationToken) is not null) return response;
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }

    /// <summary>
    /// The new schedules with their ids and the answer listing them: made once, so every attempt writes (and answers)
    /// the same ones. The organisation is registered for the runner here, before any schedule is written.
    /// </summary>
    private async Task<(List<PaymentSchedule> Schedules, StoredResponse Response)> NewSchedulesAsync(Caller caller, Organisation organisation, StoredCard card, string? reference,
        IReadOnlyList<ScheduleRequest> requests, CancellationToken cancellationToken)
    {
        var now = organisation.Now(time);
        var created = new List<PaymentSchedule>();
        foreach (var request in requests)
        {
            created.Add(new PaymentSchedule
            {
                Id = await ids.NextAsync(Sequence, cancellationToken), OrganisationId = organisation.Id, CardGuid = card.Guid,
                Interval = request.Interval, AmountMinor = request.AmountMinor, Currency = organisation.Currency,
                StartDate = request.StartDate, Count = request.Count, Reference = reference ?? card.MerchantReference,
                State = ScheduleStates.Active, UserId = caller.User?.Id, Username = caller.User?.Username, Created = now,
            });
        }
        await store.RegisterAsync(organisation.Id, cancellationToken);
        return (created, StoredResponse.Ok(created.Select(s => ScheduleView.From(s, null, null)).ToList()));
    }

    /// <summary>Deletes a card's unprocessed schedules; returns the card's merchant reference for the answer.</summary>
    public async Task<string> DeleteForCardAsync(Organisation organisation, Guid guid, CancellationToken cancellationToken)
    {
        var card = await CardAsync(organisation.Id, guid, cancellationToken);
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            var version = await store.CardVersionAsync(organisation.Id, guid, cancellationToken);
            var active = (await store.ListAsync(organisation.Id, guid, cancellationToken)).Where(s => s.State == ScheduleStates.Active).ToList();
            if (active.Count == 0 || await payments.CommitAsync(
                    [version, .. ScheduleStore.Changes([], active, ScheduleStates.Deleted)], cancellationToken))
            {
                return card.MerchantReference;
            }
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }

    public async Task DeleteAsync(Organisation organisation, long id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            var schedule = await store.GetAsync(organisation.Id, id, cancellationToken);
            // After a refused write: it may be this very delete, landed with its answer lost.
            if (attempt > 0 && schedule?.State == ScheduleStates.Deleted) return;
            if (schedule is null || !ScheduleStates.IsShown(schedule.State)) throw ScheduleNotFound();
            if (schedule.State != ScheduleStates.Active)
            {
                throw ApiException.Conflict($"Payment schedule {id} is {schedule.State}: it has no unprocessed payments to delete.");
            }
            if (await store.TryReplaceAsync(schedule, schedule with { State = ScheduleStates.Deleted }, cancellationToken) is not null) return;
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }
}
