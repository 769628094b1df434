using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

/// <summary>
/// Queue function: delivers one attempt of one outbox event. A failed attempt puts a new message for the next
/// attempt on the queue with a visibility delay from the retry schedule (so the back-off costs no running function)
/// and completes this one; after the last attempt the event is marked failed. The outcome is written to the outbox
/// row with its ETag, and a message for an event already delivered, failed or skipped posts nothing, so duplicates
/// from the at-least-once queue are mostly absorbed; an overlapping duplicate may still post, with the same event id.
/// </summary>
public sealed class WebhookDelivery(
    PaymentStore payments,
    IdentityStore identity,
    WebhookLog log,
    PaymentEvents events,
    IHttpClientFactory clients,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDelivery> logger)
{
    public const string HttpClientName = "webhooks";

    /// <remarks>
    /// The outbox's queue, named by the Payments:EventQueue setting: a binding expression the Functions host resolves
    /// from the app settings (<c>Payments__EventQueue</c>) and the local host from configuration.
    /// </remarks>
    [Function(nameof(WebhookDelivery))]
    public async Task Run(
        [QueueTrigger("%Payments:EventQueue%", Connection = "AzureWebJobsStorage")] string body,
        CancellationToken cancellationToken)
    {
        var message = WebhookMessage.Parse(body) ?? throw new InvalidDataException("Not a webhook delivery message.");
        var row = await payments.GetEventAsync(message.OrganisationId, message.TransactionId, message.Sequence, cancellationToken);
        if (row is null || row.EventId != message.EventId)
        {
            logger.LogWarning("Webhook message for event {EventId} names no outbox event; dropped", message.EventId);
            return;
        }
        var automatic = message.ChainName == WebhookMessage.AutomaticChain;
        if (automatic && WebhookDeliveryStates.IsFinal(row.Delivery)) return;

        var organisation = await identity.GetOrganisationAsync(message.OrganisationId, cancellationToken);
        var kind = row.Kind;
        var url = message.Url ?? row.NotifyUrl ?? organisation?.Webhooks.UrlFor(kind);
        if (organisation is null || url is null || (kind == "pending" && message.Url is null))
        {
            if (message.MarksEvent) await MarkAsync(row, WebhookDeliveryStates.Skipped, null, cancellationToken);
            return;
        }

        var attempt = await AttemptAsync(message, organisation, row, url, cancellationToken);
        await log.WriteAsync(organisation.Id, attempt, cancellationToken);
        if (attempt.Delivered)
        {
            if (message.MarksEvent) await MarkAsync(row, WebhookDeliveryStates.Delivered, message.Attempt, cancellationToken);
            return;
        }

        var delays = options.Value.RetryDelays;
        if (message.Attempt <= delays.Count)
        {
            var next = message with { Attempt = message.Attempt + 1 };
            await events.Queue.SendMessageAsync(next.ToJson(), Jitter(delays[message.Attempt - 1]), timeToLive: StorageSetup.NeverExpires,
                cancellationToken);
            if (message.MarksEvent && automatic) await MarkAsync(row, WebhookDeliveryStates.Retrying, message.Attempt, cancellationToken);
        }
        else
        {
            logger.LogWarning("Webhook event {EventId} failed after {Attempts} attempts", message.EventId, message.Attempt);
            if (message.MarksEvent) await MarkAsync(row, WebhookDeliveryStates.Failed, message.Attempt, cancellationToken);
        }
    }

    /// <summary>The outbox kind of the cashier's events (see <c>Cashier/CashierTransaction.cs</c>).</summary>
    public const string CashierKind = "cashier";

    /// <summary>The outbox kind of the collections' batched webhooks (see <c>Collections/CollectionsEvents.cs</c>).</summary>
    public const string CollectionsKind = "collections";

    /// <summary>The documents' success/error webhook fields, in their order.</summary>
    public static readonly string[] PaymentFields =
    [
        "success", "status", "organisation_id", "amount", "callpay_transaction_id", "reason", "user", "merchant_reference",
        "gateway_reference", "gateway_response", "currency", "payment_key",
    ];

    /// <summary>The documents' refund webhook fields, in their order: no status, refunded_amount for amount, gateway_response last.</summary>
    public static readonly string[] RefundFields =
    [
        "success", "organisation_id", "refunded_amount", "callpay_transaction_id", "reason", "user", "merchant_reference",
        "gateway_reference", "currency", "payment_key", "gateway_response",
    ];

    /// <summary>The form body: exactly the documented fields of the event's variant, from the payload stored with the event.</summary>
    public static string FormBody(JsonObject payload, string kind) => string.Join('&', (kind == "refund" ? RefundFields : PaymentFields).Select(name =>
        Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(payload[name] switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            null => "",
            var other => other.ToJsonString(),
        })));

    /// <summary>
    /// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.event_id.sequence.body"&gt;</c>, with one v1 per secret that
    /// signs now. The event id and sequence are signed too, since receivers de-duplicate and order by them.
    /// </summary>
    public static string Signature(long timestamp, string eventId, int sequence, string body, IEnumerable<string> secrets)
    {
        var signed = Encoding.UTF8.GetBytes(
            $"{timestamp.ToString(CultureInfo.InvariantCulture)}.{eventId}.{sequence.ToString(CultureInfo.InvariantCulture)}.{body}");
        return string.Join(',', new[] { $"t={timestamp.ToString(CultureInfo.InvariantCulture)}" }
            .Concat(secrets.Select(s => "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), signed)))));
    }

    private async Task<WebhookAttempt> AttemptAsync(WebhookMessage message, Organisation organisation, OutboxEvent row, string url, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Cashier events (document 003) are the stored compact JSON, signed with x-signature over exactly that body;
        // collections' batches (document 002) are JSON too, signed like every other event.
        var cashier = row.Kind == CashierKind;
        var json = cashier || row.Kind == CollectionsKind;
        var body = json ? row.Payload : FormBody(JsonNode.Parse(row.Payload)!.AsObject(), row.Kind);
        var timestamp = now.ToUnixTimeSeconds();
        int? status = null;
        string? error = null;
        string? answer = null;
        var started = Stopwatch.GetTimestamp();
        if (WebhookUrls.ShapeProblem(url, organisation.Mode == OrganisationModes.Live) is { } problem)
        {
            error = "refused: " + problem;
        }
        else
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body, Encoding.UTF8, json ? "application/json" : "application/x-www-form-urlencoded"),
            };
            request.Content.Headers.ContentType!.CharSet = null;
            if (cashier) request.Headers.Add("x-signature", CashierSignature.Of(body, organisation.Webhooks.SignaturePassword ?? ""));
            request.Headers.Add("X-Gateway-Event-Id", message.EventId);
            request.Headers.Add("X-Gateway-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Gateway-Sequence", message.Sequence.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Gateway-Signature", Signature(timestamp, message.EventId, message.Sequence, body, organisation.Webhooks.SigningSecrets(now)));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            try
            {
                using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                answer = await ReadStartAsync(response, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"timed out after {options.Value.Timeout.TotalSeconds:0.#} s";
            }
            catch (HttpRequestException failure)
            {
                error = (failure.InnerException as WebhookRefusedException)?.Message is { } refused ? "refused: " + refused : failure.Message;
            }
            catch (IOException broken)
            {
                // The receiver sent its status and then broke the body: the attempt is logged and judged by that
                // status, rather than failing the message (which would skip the log and the retry schedule).
                error = "answer cut short: " + broken.Message;
            }
        }
        var latency = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new WebhookAttempt(message.EventId, message.TransactionId, message.Sequence, message.ChainName, message.Attempt, now, url,
            status, error, latency, answer, Delivered: status is >= 200 and < 300);
    }

    /// <summary>The first characters of the answer; the rest is never read, so a huge or endless answer costs nothing.</summary>
    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[WebhookAttempt.MaxResponseChars];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0) break;
            read += n;
        }
        return new string(buffer, 0, read);
    }

    /// <summary>Writes the event's delivery state with If-Match; on a lost race re-reads, and never moves a delivered event back.</summary>
    private async Task MarkAsync(OutboxEvent row, string state, int? attempts, CancellationToken cancellationToken)
    {
        for (var current = row; current is not null;)
        {
            if (current.Delivery == WebhookDeliveryStates.Delivered && state != WebhookDeliveryStates.Delivered) return;
            if (await payments.TryMarkEventAsync(current, state, attempts, cancellationToken) is not null) return;
            current = await payments.GetEventAsync(current.OrganisationId, current.TransactionId, current.Sequence, cancellationToken);
        }
    }

    /// <summary>±20 %, so receivers that come back after an outage are not hit by every retry at once; a queue delay stops at 7 days.</summary>
    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks(Math.Min((long)(delay.Ticks * (0.8 + (Random.Shared.NextDouble() * 0.4))), TimeSpan.FromDays(7).Ticks));
}
