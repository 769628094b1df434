using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Queues;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>
/// A change of a transaction that the merchant must hear about, as kept in the outbox: written in the same
/// entity-group transaction as the change, then put on the delivery queue for delivery.
/// <see cref="Sequence"/> is the transaction's version, so receivers can ignore an event older than one they have.
/// </summary>
public sealed record PaymentEvent(string EventId, long OrganisationId, long TransactionId, int Sequence, string Kind, string Status, JsonObject Payload)
{
    /// <summary>Which of the merchant's webhook URLs the event is for: <c>success</c>, <c>error</c>, <c>refund</c> or <c>pending</c>.</summary>
    public static string KindOf(string status) => status switch
    {
        TransactionStatus.Complete or TransactionStatus.Authorised => "success",
        TransactionStatus.Failed or TransactionStatus.Reversed => "error",
        TransactionStatus.Refunded or TransactionStatus.PartiallyRefunded => "refund",
        _ => "pending",
    };

    /// <summary>
    /// The documents' webhook fields; the refund variant carries <c>refunded_amount</c> instead of <c>amount</c>: the
    /// total refunded so far, as the transaction view shows it. It adds <c>refund_amount</c>, the refund this event
    /// reports (what <paramref name="before"/> had not refunded yet), so that summing refund events cannot count a
    /// refund twice.
    /// </summary>
    public static JsonObject PayloadOf(PaymentTransaction t, PaymentTransaction? before = null)
    {
        var payload = new JsonObject
        {
            ["success"] = t.Successful ? 1 : 0,
            ["status"] = t.Status,
            ["organisation_id"] = t.OrganisationId,
        };
        if (KindOf(t.Status) == "refund")
        {
            payload["refunded_amount"] = Money.Format(t.RefundedMinor);
            payload["refund_amount"] = Money.Format(t.RefundedMinor - (before?.RefundedMinor ?? 0));
        }
        else
        {
            payload["amount"] = Money.Format(t.ShownAmountMinor);
        }
        payload["callpay_transaction_id"] = t.Id;
        payload["reason"] = t.Reason ?? "";
        payload["user"] = t.Username ?? "";
        payload["merchant_reference"] = t.MerchantReference;
        payload["gateway_reference"] = t.GatewayReference;
        payload["gateway_response"] = t.Response.ToJsonString();
        payload["currency"] = t.Currency;
        payload["payment_key"] = t.PaymentKey;
        return payload;
    }

    public static PaymentEvent For(PaymentTransaction t, PaymentTransaction? before = null) =>
        new(Guid.CreateVersion7().ToString(), t.OrganisationId, t.Id, t.Version, KindOf(t.Status), t.Status,
            PayloadOf(t, before));

    public string QueueMessage() => JsonSerializer.Serialize(new
    {
        event_id = EventId,
        organisation_id = OrganisationId,
        transaction_id = TransactionId,
        sequence = Sequence,
    });
}

/// <summary>Puts committed outbox events on the delivery queue (<see cref="PaymentOptions.EventQueue"/>).</summary>
/// <summary>
/// A feature that acts on payment events as they are published, after the commit (a payable code's notices): at most
/// once per publication, so it must not be the only record of anything; a failure is logged and the payment stands.
/// </summary>
public interface IPaymentEventFollower
{
    Task FollowAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken);
}

public sealed class PaymentEvents(QueueServiceClient queues, IOptions<PaymentOptions> options,
    IEnumerable<IPaymentEventFollower> followers, ILogger<PaymentEvents> logger)
{
    public QueueClient Queue { get; } = queues.GetQueueClient(options.Value.EventQueue);

    /// <summary>
    /// Called after the commit. A failure here loses nothing: the event stays pending in the outbox for the outbox
    /// sweep, so the merchant's request is not failed for it.
    /// </summary>
    public async Task PublishAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken)
    {
        try
        {
            await Queue.SendMessageAsync(paymentEvent.QueueMessage(), cancellationToken);
        }
        catch (Exception error) when (error is RequestFailedException or OperationCanceledException || StorageFaults.IsUnavailable(error))
        {
            logger.LogWarning(error, "Event {EventId} of transaction {TransactionId} is committed but not yet enqueued",
                paymentEvent.EventId, paymentEvent.TransactionId);
        }
        foreach (var follower in followers)
        {
            try
            {
                await follower.FollowAsync(paymentEvent, cancellationToken);
            }
            catch (Exception error) when (error is RequestFailedException or OperationCanceledException || StorageFaults.IsUnavailable(error))
            {
                logger.LogWarning(error, "{Follower} missed event {EventId} of transaction {TransactionId}",
                    follower.GetType().Name, paymentEvent.EventId, paymentEvent.TransactionId);
            }
        }
    }
}
