using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Schedules;

/// <summary>Schedule and occurrence rows (in the Payments table, by organisation) and the register of organisations with schedules.</summary>
public sealed class ScheduleStore(GatewayTables tables)
{
    /// <summary>
    /// Lookups rows naming the organisations that have schedules, so a runner visits only those. Written before an
    /// organisation's first schedule; never removed (an organisation without active schedules costs one query a run).
    /// </summary>
    private const string RegisterPrefix = "sched-";

    public Task RegisterAsync(long organisationId, CancellationToken cancellationToken) =>
        tables.Lookups.UpsertReplaceAsync(new TableEntity($"{RegisterPrefix}{organisationId:D10}", "") { ["OrganisationId"] = organisationId }, cancellationToken);

    public async Task<IReadOnlyList<long>> RegisteredAsync(CancellationToken cancellationToken)
    {
        var filter = TableFilter.GreaterThanOrEqual("PartitionKey", RegisterPrefix).And(TableFilter.LessThan("PartitionKey", "sched."));
        var ids = new List<long>();
        await foreach (var e in tables.Lookups.QueryAsync(new TableQuery(filter, ["OrganisationId"]), cancellationToken))
        {
            if (e.GetInt64("OrganisationId") is { } id) ids.Add(id);
        }
        return ids;
    }

    public async Task<PaymentSchedule?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), PaymentSchedule.Row(id), ct: cancellationToken);
        return e is null ? null : PaymentSchedule.FromEntity(organisationId, e);
    }

    /// <summary>An organisation's schedules in id order, optionally only one card's.</summary>
    public Task<List<PaymentSchedule>> ListAsync(long organisationId, Guid? cardGuid, CancellationToken cancellationToken)
    {
        var filter = SchedulesOf(organisationId);
        if (cardGuid is { } guid) filter = filter.And(TableFilter.Equal("CardGuid", guid));
        return QueryAsync(organisationId, filter, cancellationToken);
    }

    /// <summary>
    /// An organisation's schedules the merchant sees (not replaced or deleted) in id order after <paramref name="afterId"/>,
    /// starting within [from, to] when given; read a service page at a time as the caller consumes them.
    /// </summary>
    public async IAsyncEnumerable<PaymentSchedule> ShownAsync(long organisationId, long afterId, DateOnly? from, DateOnly? to,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.GreaterThan("RowKey", PaymentSchedule.Row(afterId)))
            .And(TableFilter.LessThan("RowKey", "sch."))
            .And(TableFilter.NotEqual("State", ScheduleStates.Replaced))
            .And(TableFilter.NotEqual("State", ScheduleStates.Deleted));
        if (from is { } f) filter = filter.And(TableFilter.GreaterThanOrEqual("StartDate", ScheduleCalendar.Store(f)));
        if (to is { } t) filter = filter.And(TableFilter.LessThanOrEqual("StartDate", ScheduleCalendar.Store(t)));
        await foreach (var e in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken))
        {
            yield return PaymentSchedule.FromEntity(organisationId, e);
        }
    }

    /// <summary>Schedules with an occurrence due by <paramref name="today"/> (the organisation's date), and any with a claim to resume.</summary>
    public Task<List<PaymentSchedule>> DueAsync(long organisationId, DateOnly today, CancellationToken cancellationToken) =>
        QueryAsync(organisationId, SchedulesOf(organisationId).And(
            TableFilter.Equal("State", ScheduleStates.Active).And(TableFilter.LessThanOrEqual("NextDate", ScheduleCalendar.Store(today)))
                .Or(TableFilter.Equal("Claimed", true))), cancellationToken);

    public async Task<List<Occurrence>> OccurrencesAsync(long organisationId, long scheduleId, CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.RowKeyStartsWith(PaymentSchedule.OccurrencePrefix(scheduleId)));
        var occurrences = new List<Occurrence>();
        await foreach (var e in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken)) occurrences.Add(Occurrence.FromEntity(e));
        return occurrences;
    }

    /// <summary>An ETag-checked write of a schedule: the schedule as written, or null when it changed since it was read.</summary>
    public async Task<PaymentSchedule?> TryReplaceAsync(PaymentSchedule before, PaymentSchedule after, CancellationToken cancellationToken)
    {
        var result = await tables.Payments.ReplaceAsync(after.ToEntity(), before.ETag!, cancellationToken);
        return result.IsSuccess ? after with { ETag = result.ETag } : null;
    }

    /// <summary>
    /// The write that advances a card's schedule version: an insert for its first change, else a replace checked
    /// against the version just read. Put in the batch of every change to the card's set of schedules.
    /// </summary>
    public async Task<TableOperation> CardVersionAsync(long organisationId, Guid cardGuid, CancellationToken cancellationToken)
    {
        var row = $"scard-{cardGuid:N}";
        var current = await tables.Payments.GetAsync(PaymentRows.Partition(organisationId), row, ["Version"], cancellationToken);
        var next = new TableEntity(PaymentRows.Partition(organisationId), row) { ["Kind"] = "schedule-card", ["Version"] = (current?.GetInt64("Version") ?? 0) + 1 };
        return current is null ? TableOperation.Insert(next) : TableOperation.Replace(next, current.ETag!);
    }

    /// <summary>
    /// Flags a schedule's card as deleted: a merge of that one property under any ETag, so a runner's claim on the
    /// row stays (and the runner's next write on it is refused, which is how it hears).
    /// </summary>
    public static TableOperation MarkCardDeleted(PaymentSchedule schedule) =>
        TableOperation.Merge(new TableEntity(PaymentRows.Partition(schedule.OrganisationId), PaymentSchedule.Row(schedule.Id)) { ["CardDeleted"] = true }, "*");

    private static TableFilter SchedulesOf(long organisationId) =>
        TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId)).And(TableFilter.RowKeyStartsWith(PaymentSchedule.RowPrefix));

    private async Task<List<PaymentSchedule>> QueryAsync(long organisationId, TableFilter filter, CancellationToken cancellationToken)
    {
        var schedules = new List<PaymentSchedule>();
        await foreach (var e in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken))
        {
            schedules.Add(PaymentSchedule.FromEntity(organisationId, e));
        }
        return schedules;
    }
}
