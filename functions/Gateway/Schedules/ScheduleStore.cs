using Azure;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

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
        tables.Lookups.UpsertAsync(new TableEntity($"{RegisterPrefix}{organisationId:D10}", "") { ["OrganisationId"] = organisationId },
            cancellationToken);

    public async Task<IReadOnlyList<long>> RegisteredAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {RegisterPrefix} and PartitionKey lt {"sched."}");
        var ids = new List<long>();
        await foreach (var e in tables.Lookups.QueryAsync<TableEntity>(filter, select: ["OrganisationId"], cancellationToken: cancellationToken))
        {
            if (e.GetInt64("OrganisationId") is { } id) ids.Add(id);
        }
        return ids;
    }

    public async Task<PaymentSchedule?> GetAsync(long organisationId, long id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), PaymentSchedule.Row(id), cancellationToken: cancellationToken);
        return e is null ? null : PaymentSchedule.FromEntity(organisationId, e);
    }

    /// <summary>An organisation's schedules in id order, optionally only one card's.</summary>
    public Task<List<PaymentSchedule>> ListAsync(long organisationId, Guid? cardGuid, CancellationToken cancellationToken)
    {
        var filter = SchedulesOf(organisationId);
        if (cardGuid is { } guid) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"CardGuid eq {guid}"));
        return QueryAsync(organisationId, filter, cancellationToken);
    }

    /// <summary>
    /// An organisation's schedules the merchant sees (not replaced or deleted) in id order after <paramref name="afterId"/>,
    /// starting within [from, to] when given; read a service page at a time as the caller consumes them.
    /// </summary>
    public async IAsyncEnumerable<PaymentSchedule> ShownAsync(long organisationId, long afterId, DateOnly? from, DateOnly? to,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PaymentRows.Partition(organisationId)} and RowKey gt {PaymentSchedule.Row(afterId)} and RowKey lt {"sch."} and State ne {ScheduleStates.Replaced} and State ne {ScheduleStates.Deleted}");
        if (from is { } f) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"StartDate ge {ScheduleCalendar.Store(f)}"));
        if (to is { } t) filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"StartDate le {ScheduleCalendar.Store(t)}"));
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return PaymentSchedule.FromEntity(organisationId, e);
        }
    }

    /// <summary>Schedules with an occurrence due by <paramref name="today"/> (the organisation's date), and any with a claim to resume.</summary>
    public Task<List<PaymentSchedule>> DueAsync(long organisationId, DateOnly today, CancellationToken cancellationToken) =>
        QueryAsync(organisationId, TableFilters.And(SchedulesOf(organisationId), TableClient.CreateQueryFilter(
            $"(State eq {ScheduleStates.Active} and NextDate le {ScheduleCalendar.Store(today)}) or Claimed eq {true}")), cancellationToken);

    public async Task<List<Occurrence>> OccurrencesAsync(long organisationId, long scheduleId, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowPrefix(PaymentRows.Partition(organisationId), PaymentSchedule.OccurrencePrefix(scheduleId));
        var occurrences = new List<Occurrence>();
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) occurrences.Add(Occurrence.FromEntity(e));
        return occurrences;
    }

    /// <summary>An ETag-checked write of a schedule: the schedule as written, or null when it changed since it was read.</summary>
    public async Task<PaymentSchedule?> TryReplaceAsync(PaymentSchedule before, PaymentSchedule after, CancellationToken cancellationToken)
    {
        return await tables.Payments.TryReplaceAsync(after.ToEntity(), before.ETag, cancellationToken) is { } etag ? after with { ETag = etag } : null;
    }

    /// <summary>
    /// The write that advances a card's schedule version: an insert for its first change, else a replace checked
    /// against the version just read. Put in the batch of every change to the card's set of schedules.
    /// </summary>
    public async Task<TableTransactionAction> CardVersionAsync(long organisationId, Guid cardGuid, CancellationToken cancellationToken)
    {
        var row = $"scard-{cardGuid:N}";
        var current = await tables.Payments.FindAsync(PaymentRows.Partition(organisationId), row, ["Version"], cancellationToken);
        var next = new TableEntity(PaymentRows.Partition(organisationId), row) { ["Kind"] = "schedule-card", ["Version"] = (current?.GetInt64("Version") ?? 0) + 1 };
        return current is null ? TableActions.Insert(next) : TableActions.Replace(next, current.ETag);
    }

    /// <summary>
    /// Flags a schedule's card as deleted: a merge of that one property under any ETag, so a runner's claim on the
    /// row stays (and the runner's next write on it is refused, which is how it hears).
    /// </summary>
    public static TableTransactionAction MarkCardDeleted(PaymentSchedule schedule) =>
        TableActions.Merge(new TableEntity(PaymentRows.Partition(schedule.OrganisationId), PaymentSchedule.Row(schedule.Id)) { ["CardDeleted"] = true }, ETag.All);

    /// <summary>New schedules, and the ends of those they replace (or that are deleted), for one commit with the card's version.</summary>
    public static IEnumerable<TableTransactionAction> Changes(IEnumerable<PaymentSchedule> created, IEnumerable<PaymentSchedule> ending, string endState) =>
    [
        .. ending.Select(s => TableActions.Replace((s with { State = endState }).ToEntity(), s.ETag)),
        .. created.Select(s => TableActions.Insert(s.ToEntity())),
    ];

    /// <summary>
    /// A charged (or recorded) occurrence: its row, an insert, so an occurrence is booked once, and the schedule's
    /// advance past it, checked against the claim's ETag. Committed with the occurrence's transaction.
    /// </summary>
    public static IEnumerable<TableTransactionAction> Booked(Occurrence occurrence, PaymentSchedule advanced, ETag claimed, DateTimeOffset now) =>
    [
        TableActions.Insert(occurrence.ToEntity(advanced.OrganisationId, now)),
        TableActions.Replace(advanced.ToEntity(), claimed),
    ];

    private static string SchedulesOf(long organisationId) => TableFilters.RowPrefix(PaymentRows.Partition(organisationId), PaymentSchedule.RowPrefix);

    private async Task<List<PaymentSchedule>> QueryAsync(long organisationId, string filter, CancellationToken cancellationToken)
    {
        var schedules = new List<PaymentSchedule>();
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            schedules.Add(PaymentSchedule.FromEntity(organisationId, e));
        }
        return schedules;
    }
}
