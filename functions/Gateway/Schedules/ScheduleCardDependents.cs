using Gateway.Cards;
using Gateway.Identity;

namespace Gateway.Schedules;

/// <summary>Payment schedules charge stored cards: a card's deletion ends its schedules.</summary>
public sealed class ScheduleCardDependents(ScheduleStore store, PaymentScheduleRunner runner) : ICardDependents
{
    public async Task<CardDeletion> PrepareDeletionAsync(long organisationId, Guid cardGuid,
        CancellationToken cancellationToken)
    {
        // Advancing the card's schedule version serialises the delete with schedule changes of the card: a
        // schedule created concurrently either lands first (and is seen here) or finds the card gone.
        var version = await store.CardVersionAsync(organisationId, cardGuid, cancellationToken);
        var scheduled = (await store.ListAsync(organisationId, cardGuid, cancellationToken))
            .Where(s => s.State == ScheduleStates.Active || s.Claim is not null).ToList();
        // A card with schedules that are active (or mid-run) stays, marked deleted, for the runner to stop them.
        return new CardDeletion([version, .. scheduled.Select(ScheduleStore.MarkCardDeleted)], scheduled.Count > 0);
    }

    public Task CardDeletedAsync(Organisation organisation, Guid cardGuid, CancellationToken cancellationToken) =>
        runner.StopForCardAsync(organisation, cardGuid, cancellationToken);
}
