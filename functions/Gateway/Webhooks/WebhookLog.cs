using System.Globalization;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Webhooks;

/// <summary>One delivery attempt, as logged.</summary>
public sealed record WebhookAttempt(
    string EventId, long TransactionId, int Sequence, string Chain, int Attempt, DateTimeOffset Time, string Url,
    int? StatusCode, string? Error, long LatencyMs, string? ResponseBody, bool Delivered)
{
    /// <summary>Enough of a receiver's answer to diagnose it without storing whatever it chose to send back.</summary>
    public const int MaxResponseChars = 4096;

    public TableEntity ToEntity(long organisationId) => new(PaymentRows.Partition(organisationId), WebhookRows.AttemptRow(TransactionId, Sequence, Chain, Attempt))
    {
        ["EventId"] = EventId,
        ["Time"] = Time,
        ["Url"] = Url,
        ["StatusCode"] = StatusCode,
        ["Error"] = Error,
        ["LatencyMs"] = LatencyMs,
        ["ResponseBody"] = ResponseBody,
        ["Delivered"] = Delivered,
    };

    public static WebhookAttempt FromEntity(TableEntity e)
    {
        // wha-{transaction:D12}-{sequence:D6}-{chain}-{attempt:D3}
        var parts = e.RowKey.Split('-');
        return new(e.GetString("EventId")!, long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), parts[3],
            int.Parse(parts[4], CultureInfo.InvariantCulture), e.GetDateTimeOffset("Time")!.Value, e.GetString("Url")!, e.GetInt32("StatusCode"),
            e.GetString("Error"), e.GetInt64("LatencyMs") ?? 0, e.GetString("ResponseBody"), e.GetBoolean("Delivered") ?? false);
    }
}

/// <summary>Row keys of webhook rows in the Payments table, beside the outbox events they belong to.</summary>
public static class WebhookRows
{
    public const string AttemptPrefix = "wha-";

    public static string AttemptRow(long transactionId, int sequence, string chain, int attempt) =>
        $"{AttemptPrefix}{transactionId:D12}-{sequence:D6}-{chain}-{attempt:D3}";

    public static string TransactionAttemptPrefix(long transactionId) => $"{AttemptPrefix}{transactionId:D12}-";
}

/// <summary>Reads of the delivery log and of outbox events, always within one organisation's partition.</summary>
public sealed class WebhookLog(GatewayTables tables)
{
    public Task WriteAsync(long organisationId, WebhookAttempt attempt, CancellationToken cancellationToken) =>
        // Upsert: a redelivered queue message repeats its attempt, and the log keeps the latest try of it.
        tables.Payments.UpsertReplaceAsync(attempt.ToEntity(organisationId), cancellationToken);

    public async Task<List<WebhookAttempt>> ByTransactionAsync(long organisationId, long transactionId, CancellationToken cancellationToken) =>
        await QueryAsync(TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
            .And(TableFilter.RowKeyStartsWith(WebhookRows.TransactionAttemptPrefix(transactionId))), cancellationToken);

    public async Task<List<WebhookAttempt>> ByEventAsync(long organisationId, TableEntity outboxEvent, CancellationToken cancellationToken)
    {
        var transactionId = long.Parse(outboxEvent.RowKey.AsSpan(PaymentRows.EventPrefix.Length, 12), CultureInfo.InvariantCulture);
        var sequence = int.Parse(outboxEvent.RowKey.AsSpan(PaymentRows.EventPrefix.Length + 13), CultureInfo.InvariantCulture);
        var prefix = $"{WebhookRows.TransactionAttemptPrefix(transactionId)}{sequence:D6}-";
        return await QueryAsync(TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId)).And(TableFilter.RowKeyStartsWith(prefix)), cancellationToken);
    }

    /// <summary>
    /// The organisation's outbox event with this id. Event ids are not in the row key, so this filters the
    /// organisation's outbox range; it is an operator's and merchant's lookup, not a path deliveries take.
    /// </summary>
    public async Task<TableEntity?> FindEventAsync(long organisationId, string eventId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(eventId, out var id)) return null;
        var filter = EventRange(organisationId).And(TableFilter.Equal("EventId", id.ToString()));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken)) return row;
        return null;
    }

    /// <summary>The newest event of a transaction (the highest sequence), or null when it has none.</summary>
    public async Task<TableEntity?> LatestEventAsync(long organisationId, long transactionId, CancellationToken cancellationToken)
    {
        TableEntity? latest = null;
        var filter = TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId)).And(TableFilter.RowKeyStartsWith($"{PaymentRows.EventPrefix}{transactionId:D12}-"));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken)) latest = row;
        return latest;
    }

    /// <summary>The organisation's events whose delivery ended failed, oldest first.</summary>
    public async Task<List<TableEntity>> FailedEventsAsync(long organisationId, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        var filter = EventRange(organisationId).And(TableFilter.Equal("Delivery", WebhookDeliveryStates.Failed));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken)) rows.Add(row);
        return rows;
    }

    private static TableFilter EventRange(long organisationId) => TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))
        .And(TableFilter.GreaterThanOrEqual("RowKey", PaymentRows.EventPrefix)).And(TableFilter.LessThan("RowKey", "evt."));

    private async Task<List<WebhookAttempt>> QueryAsync(TableFilter filter, CancellationToken cancellationToken)
    {
        var attempts = new List<WebhookAttempt>();
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken)) attempts.Add(WebhookAttempt.FromEntity(row));
        return attempts;
    }
}

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
