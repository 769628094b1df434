using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

/// <summary>
/// Timer function: puts outbox events that were never attempted back on the delivery queue. An event is written
/// with its state change and enqueued after the commit; a crash (or a storage error) in between leaves it pending
/// with no message. Events younger than <see cref="WebhookOptions.SweepAfter"/> are left alone, as their message may
/// still be on its way; an event whose message is only slow gets a second one, which delivery absorbs (it posts an
/// event once it is marked delivered, and always with the same event id).
/// </summary>
public sealed class WebhookSweep(PaymentStore payments, PaymentEvents events, IOptions<WebhookOptions> options, TimeProvider time,
    ILogger<WebhookSweep> logger)
{
    /// <remarks>Every five minutes; each run takes every unattempted event, so a missed run needs no replay.</remarks>
    [Function(nameof(WebhookSweep))]
    public async Task Run([TimerTrigger("0 */5 * * * *", UseMonitor = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        var requeued = 0;
        await foreach (var unattempted in payments.UnattemptedEventsAsync(time.GetUtcNow() - options.Value.SweepAfter, cancellationToken))
        {
            await events.Queue.SendMessageAsync(WebhookMessage.For(unattempted).ToJson(), cancellationToken);
            requeued++;
        }
        logger.LogInformation("Webhook sweep: {Requeued} unattempted outbox events enqueued again", requeued);
    }
}
