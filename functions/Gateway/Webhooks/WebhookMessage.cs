using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Webhooks;

/// <summary>
/// A delivery queue message: the outbox's own message (event, organisation, transaction, sequence) plus, on
/// retries and resends, the attempt number, the attempt chain and an explicit URL. <see cref="Chain"/> is
/// <see cref="AutomaticChain"/> for the delivery every event gets; a resend or re-delivery starts a chain of its own,
/// so its attempts are logged apart from the first chain's.
/// </summary>
public sealed record WebhookMessage(
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("organisation_id")] long OrganisationId,
    [property: JsonPropertyName("transaction_id")] long TransactionId,
    [property: JsonPropertyName("sequence")] int Sequence,
    [property: JsonPropertyName("attempt")] int Attempt = 1,
    [property: JsonPropertyName("chain")] string? Chain = null,
    [property: JsonPropertyName("url")] string? Url = null)
{
    public const string AutomaticChain = "a";

    public string ChainName => Chain ?? AutomaticChain;

    /// <summary>Resends to a given URL are one-off deliveries: they do not change whether the event counts as delivered.</summary>
    public bool MarksEvent => Url is null;

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The outbox's own message for an event (its first delivery, or the start of a resend).</summary>
    public static WebhookMessage For(Payments.OutboxEvent e) => new(e.EventId, e.OrganisationId, e.TransactionId, e.Sequence);

    /// <summary>The name of a resend's or re-delivery's own chain of attempts: unique, and sorting by when it began.</summary>
    public static string ManualChain(DateTimeOffset now) =>
        "r" + now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + Identity.Secrets.Hex(2);

    /// <summary>The message, or null when it is not one (it then goes to poison after the host's retries).</summary>
    public static WebhookMessage? Parse(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize<WebhookMessage>(body);
            return message is { EventId.Length: > 0, OrganisationId: > 0, TransactionId: > 0, Sequence: >= 0, Attempt: >= 1 }
                && (message.Chain is null || System.Text.RegularExpressions.Regex.IsMatch(message.Chain, "^[a-z0-9]{1,20}$"))
                ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
