using Azure.Data.Tables;
using Gateway.Identity;

namespace Gateway.Cards;

/// <summary>
/// What charges a stored card and must hear of its deletion (payment schedules). The cards feature owns this
/// interface so that it stays below the features built on stored cards; they implement it.
/// </summary>
public interface ICardDependents
{
    /// <summary>
    /// The rows to commit in the same transaction as the card's deletion (serialising it with concurrent changes of
    /// what depends on the card), and whether the card must be kept, marked deleted, until those dependents stop.
    /// </summary>
    Task<CardDeletion> PrepareDeletionAsync(long organisationId, Guid cardGuid, CancellationToken cancellationToken);

    /// <summary>After the deletion committed: stops what depended on the card.</summary>
    Task CardDeletedAsync(Organisation organisation, Guid cardGuid, CancellationToken cancellationToken);
}

public sealed record CardDeletion(IReadOnlyList<TableTransactionAction> Actions, bool KeepCard);
