using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>An outbox event as stored: the event, what it carries for the merchant, and how its delivery went.</summary>
public sealed record OutboxEvent(
    long OrganisationId, long TransactionId, int Sequence, string EventId, string Kind, string Status, string Payload,
    string? NotifyUrl, DateTimeOffset Created, string Delivery, ETag ETag);

/// <summary>The outbox row's <c>Delivery</c> values.</summary>
public static class WebhookDeliveryStates
{
    /// <summary>Written with the event; never attempted yet (the sweep re-enqueues these when old).</summary>
    public const string Pending = "pending";

    /// <summary>Attempted and failed at least once; a retry is on the queue.</summary>
    public const string Retrying = "retrying";

    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>Nothing to deliver: a pending-kind event, or no URL configured.</summary>
    public const string Skipped = "skipped";

    public static bool IsFinal(string? state) => state is Delivered or Failed or Skipped;
}

/// <summary>The outbox: events written with the changes they report, read and marked by webhook delivery.</summary>
public sealed partial class PaymentStore
{
    // Row keys sort as text; '.' follows '-', so "evt." is the first key after every "evt-..." one.
    private const string EventsEnd = "evt.";

    /// <summary>The outbox row of an event, written in the same entity-group transaction as the change it reports.</summary>
    public static TableTransactionAction EventInsert(PaymentEvent e, DateTimeOffset now, string? notifyUrl)
    {
        var row = new TableEntity(PaymentRows.TransactionPartition(e.OrganisationId, e.TransactionId),
            PaymentRows.EventRow(e.TransactionId, e.Sequence))
        {
            ["EventId"] = e.EventId,
            ["Kind"] = e.Kind,
            ["Status"] = e.Status,
            ["NotifyUrl"] = notifyUrl,
            ["Created"] = now,
            // Delivery (a queue-triggered function, with the webhooks) marks events delivered or failed; the outbox
            // sweep re-enqueues pending ones whose enqueue was lost between the commit and the queue.
            ["Delivery"] = WebhookDeliveryStates.Pending,
        };
        WritePayload(row, e.Payload.ToJsonString());
        return TableActions.Insert(row);
    }

    /// <summary>
    /// A string property holds at most 32 K characters (64 KiB of UTF-16), and a batched webhook (collections') can be
    /// longer: the payload goes in as many <c>Payload</c>, <c>Payload2</c>, ... properties as it needs, each cut where
    /// no surrogate pair is split.
    /// </summary>
    private static void WritePayload(TableEntity row, string payload)
    {
        for (var (start, part) = (0, 1); start < payload.Length || part == 1; part++)
        {
            var length = Math.Min(PayloadChunk, payload.Length - start);
            if (length == PayloadChunk && char.IsHighSurrogate(payload[start + length - 1])) length--;
            row[part == 1 ? "Payload" : $"Payload{part}"] = payload.Substring(start, length);
            start += length;
        }
    }

    private static string ReadPayload(TableEntity row)
    {
        var payload = new System.Text.StringBuilder(row.GetString("Payload"));
        for (var part = 2; row.GetString($"Payload{part}") is { } more; part++) payload.Append(more);
        return payload.ToString();
    }

    private const int PayloadChunk = 30_000;

    public async Task<OutboxEvent?> GetEventAsync(long organisationId, long transactionId, int sequence, CancellationToken cancellationToken)
    {
        var row = await tables.Payments.FindAsync(PaymentRows.TransactionPartition(organisationId, transactionId),
            PaymentRows.EventRow(transactionId, sequence),
            cancellationToken: cancellationToken);
        return row is null ? null : EventFrom(row);
    }

    /// <summary>
    /// The organisation's outbox event with this id. Event ids are not in the row key, so this filters the
    /// organisation's outbox range; it is an operator's and merchant's lookup, not a path deliveries take.
    /// </summary>
    public async Task<OutboxEvent?> FindEventAsync(Organisation organisation, string eventId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(eventId, out var id)) return null;
        var found = await OutboxQueryAsync(organisation, TableClient.CreateQueryFilter($"EventId eq {id.ToString()}"), cancellationToken);
        return found.FirstOrDefault();
    }

    /// <summary>A transaction's events, oldest first: its status history as the merchant was told it.</summary>
    public async Task<List<OutboxEvent>> EventsAsync(long organisationId, long transactionId, CancellationToken cancellationToken)
    {
        var list = new List<OutboxEvent>();
        await foreach (var row in tables.Payments.QueryAsync<TableEntity>(EventsOf(organisationId, transactionId),
            cancellationToken: cancellationToken)) list.Add(EventFrom(row));
        return list;
    }

    /// <summary>The newest event of a transaction (the highest sequence), or null when it has none.</summary>
    public async Task<OutboxEvent?> LatestEventAsync(long organisationId, long transactionId, CancellationToken cancellationToken)
    {
        OutboxEvent? latest = null;
        await foreach (var row in tables.Payments.QueryAsync<TableEntity>(EventsOf(organisationId, transactionId),
            cancellationToken: cancellationToken)) latest = EventFrom(row);
        return latest;
    }

    /// <summary>The organisation's events whose delivery ended failed, oldest first.</summary>
    public async Task<List<OutboxEvent>> FailedEventsAsync(Organisation organisation, CancellationToken cancellationToken) =>
        [.. (await OutboxQueryAsync(organisation, TableClient.CreateQueryFilter($"Delivery eq {WebhookDeliveryStates.Failed}"), cancellationToken))
            .OrderBy(e => e.TransactionId).ThenBy(e => e.Sequence)];

    /// <summary>Events of every organisation never attempted, written before <paramref name="createdBefore"/>.</summary>
    public async IAsyncEnumerable<OutboxEvent> UnattemptedEventsAsync(DateTimeOffset createdBefore, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"RowKey ge {PaymentRows.EventPrefix} and RowKey lt {EventsEnd} and Delivery eq {WebhookDeliveryStates.Pending} and Created lt {createdBefore}");
        await foreach (var row in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) yield return EventFrom(row);
    }

    /// <summary>
    /// Records how the event's delivery stands, if the row still has the ETag it was read with: the event as marked,
    /// or null when it changed meanwhile (read it again and decide again).
    /// </summary>
    public async Task<OutboxEvent?> TryMarkEventAsync(OutboxEvent e, string delivery, int? attempts, CancellationToken cancellationToken)
    {
        var update = new TableEntity(PaymentRows.TransactionPartition(e.OrganisationId, e.TransactionId),
            PaymentRows.EventRow(e.TransactionId, e.Sequence))
        {
            ["Delivery"] = delivery, ["Attempts"] = attempts,
        };
        return await tables.Payments.TryMergeAsync(update, e.ETag, cancellationToken) is { } etag ? e with { Delivery = delivery, ETag = etag } : null;
    }

    /// <summary>The outbox rows matching <paramref name="filter"/> in every partition of the organisation, queried in parallel.</summary>
    private async Task<List<OutboxEvent>> OutboxQueryAsync(Organisation organisation, string filter, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(Enumerable.Range(0, organisation.PaymentPartitions.Count).Select(async shard =>
        {
            var range = TableClient.CreateQueryFilter(
                $"PartitionKey eq {PaymentRows.ShardPartition(organisation.Id, shard)} and RowKey ge {PaymentRows.EventPrefix} and RowKey lt {EventsEnd}");
            var events = new List<OutboxEvent>();
            await foreach (var row in tables.Payments.QueryAsync<TableEntity>(TableFilters.And(range, filter), cancellationToken: cancellationToken))
            {
                events.Add(EventFrom(row));
            }
            return events;
        }));
        return [.. found.SelectMany(events => events)];
    }

    private static string EventsOf(long organisationId, long transactionId) =>
        TableFilters.RowPrefix(PaymentRows.TransactionPartition(organisationId, transactionId), $"{PaymentRows.EventPrefix}{transactionId:D12}-");

    // evt-{transaction:D12}-{sequence:D6} in the transaction's partition
    private static OutboxEvent EventFrom(TableEntity row) => new(
        PaymentRows.OrganisationOf(row.PartitionKey),
        long.Parse(row.RowKey.AsSpan(PaymentRows.EventPrefix.Length, 12), System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(row.RowKey.AsSpan(PaymentRows.EventPrefix.Length + 13), System.Globalization.CultureInfo.InvariantCulture),
        row.GetString("EventId"), row.GetString("Kind"), row.GetString("Status"), ReadPayload(row), row.GetString("NotifyUrl"),
        row.GetDateTimeOffset("Created") ?? DateTimeOffset.MinValue, row.GetString("Delivery") ?? WebhookDeliveryStates.Pending, row.ETag);
}
