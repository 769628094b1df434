using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Gateway.Payments;

namespace Gateway.Schedules;

/// <summary>Where a schedule is: charging, done, or ended early (and why).</summary>
public static class ScheduleStates
{
    public const string Active = "active";
    public const string Completed = "completed";

    /// <summary>Removed by <c>PUT /api/v1/payment-schedule/{guid}</c>, which adds new ones in its place.</summary>
    public const string Replaced = "replaced";
    public const string Deleted = "deleted";

    /// <summary>Its card token was deleted: the rest can never be charged.</summary>
    public const string Stopped = "stopped";

    /// <summary>The states a merchant still sees in the views (replaced and deleted schedules are gone).</summary>
    public static bool IsShown(string state) => state is Active or Completed or Stopped;
}

/// <summary>What a runner decided to do with an occurrence when it claimed it; a resumed claim does the same.</summary>
public static class ChargeDecisions
{
    /// <summary>Ask the acquirer (again, after a crash: under the same key it answers instead of charging twice).</summary>
    public const string Charge = "charge";

    /// <summary>The card token is gone: record the occurrence as failed and stop the schedule.</summary>
    public const string CardDeleted = "card_deleted";

    /// <summary>Fell due before the catch-up window: recorded as failed, never charged.</summary>
    public const string Missed = "missed";

    /// <summary>The stored card was past its expiry month: recorded as failed without asking the acquirer.</summary>
    public const string ExpiredCard = "expired_card";
}

/// <summary>
/// The occurrence a runner is processing: claimed on the schedule row (an ETag-checked write) before anything else,
/// with what it decided to do. <see cref="Until"/> is the lease in real time; a runner that finds it lapsed resumes
/// the same occurrence with the same decision (so a charge that may have reached the acquirer is asked again under
/// the same key, whatever the clock or the card say by then), never a new one.
/// </summary>
public sealed record OccurrenceClaim(int Index, string Runner, DateTimeOffset Until, string Decision);

/// <summary>
/// A recurring charge of a stored card, in its organisation's partition of the Payments table beside the card, the
/// transactions it makes and their occurrence rows, so that charging an occurrence writes the transaction, its
/// outbox event, the occurrence row and the schedule's advance in one entity-group transaction. <see cref="Next"/>
/// is the index of the first occurrence not yet processed; <see cref="NextDate"/> its date (null when none is left),
/// which is what the runner's query filters on.
/// </summary>
public sealed record PaymentSchedule
{
    public required long Id { get; init; }
    public required long OrganisationId { get; init; }
    public required Guid CardGuid { get; init; }
    public required string Interval { get; init; }
    public required long AmountMinor { get; init; }
    public required string Currency { get; init; }
    public required DateOnly StartDate { get; init; }
    public required int Count { get; init; }
    public required string Reference { get; init; }
    public required string State { get; init; }
    public int Next { get; init; }
    public OccurrenceClaim? Claim { get; init; }

    /// <summary>
    /// Set (by a merge, in the card delete's own write) when the card is deleted, so a runner busy with this schedule
    /// learns of it without reading the card: its commit is refused, it books its charge again under the same key,
    /// and then stops the schedule.
    /// </summary>
    public bool CardDeleted { get; init; }
    public long? UserId { get; init; }
    public string? Username { get; init; }
    public required DateTimeOffset Created { get; init; }
    public ETag ETag { get; init; }

    public DateOnly DateOf(int index) => ScheduleCalendar.DateOf(Interval, StartDate, index);

    public DateOnly? NextDate => State == ScheduleStates.Active && Next < Count ? DateOf(Next) : null;

    /// <summary>The acquirer's idempotency key for one occurrence: the same for every runner that ever tries it.</summary>
    public string ChargeKey(int index) => $"sched-{OrganisationId}-{Id}-{index}";

    public const string RowPrefix = "sch-";
    public static string Row(long id) => $"{RowPrefix}{id:D12}";
    public static string OccurrenceRow(long scheduleId, int index) => $"occ-{scheduleId:D12}-{index:D4}";
    public static string OccurrencePrefix(long scheduleId) => $"occ-{scheduleId:D12}-";

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.Partition(OrganisationId), Row(Id))
        {
            ["Kind"] = "schedule",
            ["CardGuid"] = CardGuid,
            ["Interval"] = Interval,
            ["AmountMinor"] = AmountMinor,
            ["Currency"] = Currency,
            ["StartDate"] = ScheduleCalendar.Store(StartDate),
            ["Count"] = Count,
            ["Reference"] = Reference,
            ["State"] = State,
            ["Next"] = Next,
            ["NextDate"] = NextDate is { } next ? ScheduleCalendar.Store(next) : null,
            ["Claim"] = Claim is null ? null : JsonSerializer.Serialize(Claim),
            // Separate from Claim so the runner's filter can find claimed schedules whatever their state.
            ["Claimed"] = Claim is not null,
            ["CardDeleted"] = CardDeleted,
            ["UserId"] = UserId,
            ["Username"] = Username,
            ["Created"] = Created,
        };
        e.ETag = ETag;
        return e;
    }

    public static PaymentSchedule FromEntity(long organisationId, TableEntity e) => new()
    {
        Id = long.Parse(e.RowKey.AsSpan(RowPrefix.Length), System.Globalization.CultureInfo.InvariantCulture),
        OrganisationId = organisationId,
        CardGuid = e.GetGuid("CardGuid")!.Value,
        Interval = e.GetString("Interval")!,
        AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        Currency = e.GetString("Currency")!,
        StartDate = ScheduleCalendar.Parse(e.GetString("StartDate")!),
        Count = (e.GetInt32("Count") ?? 1),
        Reference = e.GetString("Reference")!,
        State = e.GetString("State")!,
        Next = (e.GetInt32("Next") ?? 0),
        Claim = e.GetString("Claim") is { } claim ? JsonSerializer.Deserialize<OccurrenceClaim>(claim) : null,
        CardDeleted = e.GetBoolean("CardDeleted") ?? false,
        UserId = e.GetInt64("UserId"),
        Username = e.GetString("Username"),
        Created = e.GetDateTimeOffset("Created")!.Value,
        ETag = e.ETag,
    };
}

/// <summary>What became of one occurrence: the transaction that charged it (or recorded why it was not charged).</summary>
public sealed record Occurrence(long ScheduleId, int Index, DateOnly Date, long TransactionId, string Status, string? Reason)
{
    public TableEntity ToEntity(long organisationId, DateTimeOffset processed) =>
        new(PaymentRows.Partition(organisationId), PaymentSchedule.OccurrenceRow(ScheduleId, Index))
        {
            ["Kind"] = "occurrence",
            ["ScheduleId"] = ScheduleId,
            ["Index"] = Index,
            ["Date"] = ScheduleCalendar.Store(Date),
            ["TransactionId"] = TransactionId,
            ["Status"] = Status,
            ["Reason"] = Reason,
            ["Processed"] = processed,
        };

    public static Occurrence FromEntity(TableEntity e) => new(
        e.GetInt64("ScheduleId") ?? 0, (e.GetInt32("Index") ?? 0), ScheduleCalendar.Parse(e.GetString("Date")!),
        e.GetInt64("TransactionId") ?? 0, e.GetString("Status")!, e.GetString("Reason"));
}
