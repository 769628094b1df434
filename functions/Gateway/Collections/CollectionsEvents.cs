using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Collections;

/// <summary>
/// What the merchant hears of transactions: the history entries of <c>submission_data</c> and the batched webhook.
/// </summary>
public sealed class CollectionsEvents(PaymentService payments, PaymentEvents events)
{
    /// <summary>The outbox kind of the batched webhooks (document 002): JSON <c>{"transactions": [...]}</c>.</summary>
    public const string Kind = "collections";

    /// <summary>
    /// A webhook of these transactions as they now are, for the outbox. It needs an id in the payments' sequence (the
    /// outbox's key), as the cashier's events have; it is the id of this delivery, not of a transaction.
    /// </summary>
    public async Task<PaymentEvent> BatchAsync(long organisationId, IEnumerable<DebitTransaction> changed, TimeZoneInfo zone,
        CancellationToken cancellationToken)
    {
        var list = new JsonArray([.. changed.Select(t => JsonSerializer.SerializeToNode(CollectionsViews.View(t, zone), ApiJson.Options))]);
        return new PaymentEvent(Guid.CreateVersion7().ToString(), organisationId, await payments.NextIdAsync(cancellationToken), 1,
            Kind, "transactions", new JsonObject { ["transactions"] = list });
    }

    public Task PublishAsync(PaymentEvent e, CancellationToken cancellationToken) => events.PublishAsync(e, cancellationToken);

    /// <summary>
    /// One entry of a transaction's history, in its method's shape as the document shows them: DebiCheck's
    /// <c>{status, message, bank_code, timestamp}</c>, an EFT debit order's <c>{date, code, message}</c>.
    /// </summary>
    public static JsonObject Entry(string method, string status, string code, string? message, DateTimeOffset now,
        TimeZoneInfo zone) => method == CollectionsCatalogue.DebiCheck
        ? new JsonObject
        {
            ["status"] = status.ToUpperInvariant(), ["message"] = message,
            ["bank_code"] = int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0,
            ["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        }
        : new JsonObject
        {
            ["date"] = ApiTime.Show(now, zone), ["code"] = code.PadLeft(6, '0'),
            ["message"] = message ?? status.ToUpperInvariant(),
        };
}
