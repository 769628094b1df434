using Gateway.Hosting;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

/// <summary>
/// Timer function: puts outbox events that were never attempted back on the delivery queue. An event is written
/// with its state change and enqueued after the commit; a crash (or a storage error) in between leaves it pending
/// with no message. Events younger than <see cref="WebhookOptions.SweepAfter"/> are left alone, as their message may
/// still be on its way; an event whose message is only slow gets a second one, which delivery absorbs (it posts an
/// event once it is marked delivered, and always with the same event id).
/// </summary>
public sealed class WebhookSweep(GatewayTables tables, PaymentEvents events, IOptions<WebhookOptions> options, TimeProvider time,
    ILogger<WebhookSweep> logger) : ITimerFunction
{
    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.SweepAfter;
        var filter = TableFilter.GreaterThanOrEqual("RowKey", PaymentRows.EventPrefix).And(TableFilter.LessThan("RowKey", "evt."))
            .And(TableFilter.Equal("Delivery", WebhookDeliveryStates.Pending)).And(TableFilter.LessThan("Created", cutoff));
        var requeued = 0;
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(filter), cancellationToken))
        {
            var message = MessageFor(row);
            await events.Queue.SendAsync(message.ToJson(), ct: cancellationToken);
            requeued++;
        }
        logger.LogInformation("Webhook sweep: {Requeued} unattempted outbox events enqueued again", requeued);
    }

    /// <summary>The outbox's own message for an event row (evt-{transaction:D12}-{sequence:D6} in org-{id:D10}).</summary>
    public static WebhookMessage MessageFor(TableEntity row) => new(
        row.GetString("EventId")!,
        long.Parse(row.PartitionKey.AsSpan("org-".Length), System.Globalization.CultureInfo.InvariantCulture),
        long.Parse(row.RowKey.AsSpan(PaymentRows.EventPrefix.Length, 12), System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(row.RowKey.AsSpan(PaymentRows.EventPrefix.Length + 13), System.Globalization.CultureInfo.InvariantCulture));
}
