using System.Text.Json.Nodes;
using Gateway.Payments;

namespace Gateway.Codes;

/// <summary>A paid code whose merchant named people to tell (<c>smsNotify</c>, <c>emailNotify</c>).</summary>
public sealed record CodePaidNotice(long OrganisationId, long TransactionId, string Code);

/// <summary>Where code notices go: the notifications queue (implemented there, so this feature needs not know it).</summary>
public interface ICodeNotifications
{
    Task EnqueueAsync(CodePaidNotice notice, CancellationToken cancellationToken);
}

/// <summary>
/// Queues the notice of a code's completed payment, however it was paid (in an app, on the hosted pages, after
/// 3-D Secure): the payment's event carries the code in its gateway response. Only code payments cost a read.
/// </summary>
public sealed class CodePaidNotifier(CodeStore store, ICodeNotifications notifications) : IPaymentEventFollower
{
    public async Task FollowAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken)
    {
        if (paymentEvent.Status != TransactionStatus.Complete) return;
        if (paymentEvent.Payload["gateway_response"]?.GetValue<string>() is not { } response
            || JsonNode.Parse(response)?["code"]?.GetValue<string>() is not { } code)
        {
            return;
        }
        var payable = await store.GetAsync(paymentEvent.OrganisationId, code, cancellationToken);
        if (payable is null || payable.SmsNotify.Count + payable.EmailNotify.Count == 0) return;
        await notifications.EnqueueAsync(new CodePaidNotice(paymentEvent.OrganisationId, paymentEvent.TransactionId, code),
            cancellationToken);
    }
}
