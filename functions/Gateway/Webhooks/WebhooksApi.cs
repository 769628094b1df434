using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Webhooks;

/// <summary>The delivery log and resends. Attempts carry receivers' answers, so only administrators and API keys read them.</summary>
[Tags("Webhooks")]
public sealed class WebhooksApi(PaymentStore payments, WebhookLog log, WebhookUrls urls, PaymentEvents events, TimeProvider time)
{
    public const string QueuedMessage = "Webhook has been queued successfully";

    [Function(nameof(TransactionWebhooks)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Every webhook attempt for a transaction's events, oldest event first."), ApiErrors(401, 403, 404)]
    public async Task<Ok<WebhookAttemptView[]>> TransactionWebhooks(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/gateway-transaction/webhooks/{id}")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var transaction = await payments.GetAsync(organisation.Id, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        var attempts = await log.ByTransactionAsync(organisation.Id, transaction.Id, cancellationToken);
        return TypedResults.Ok(attempts.Select(a => WebhookAttemptView.From(a, organisation.TimeZone)).ToArray());
    }

    [Function(nameof(WebhookResend)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Post the transaction's latest event to the given url (a new attempt chain, the same event id).")]
    [AcceptsForm(typeof(ResendWebhookForm)), ApiErrors(400, 401, 403, 404, 413, 415)]
    public async Task<Ok<WebhookQueuedResponse>> WebhookResend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/gateway-transaction/resend-webhook/{id}")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var transactionId = Ids.ParseOrNotFound(id, "Transaction");
        var url = form.Root.Text("url", WebhookUrls.MaxLength + 1) ?? throw ApiException.BadRequest("url", "is required.");
        await urls.CheckAsync("url", url, organisation, cancellationToken);
        _ = await payments.GetAsync(organisation.Id, transactionId, cancellationToken) ?? throw PaymentService.TransactionNotFound();
        var latest = await payments.LatestEventAsync(organisation.Id, transactionId, cancellationToken)
            ?? throw ApiException.NotFound("The transaction has no webhook event yet.");
        var message = WebhookMessage.For(latest) with { Chain = NewChain(), Url = url };
        await events.Queue.SendMessageAsync(message.ToJson(), cancellationToken);
        return TypedResults.Ok(new WebhookQueuedResponse(true, QueuedMessage));
    }

    [Function(nameof(WebhookEventView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("An event's delivery state and its attempts."), ApiErrors(401, 403, 404)]
    public async Task<Ok<WebhookEventView>> WebhookEventView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/webhook-event/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var outboxEvent = await payments.FindEventAsync(organisation, id, cancellationToken) ?? throw EventNotFound();
        var attempts = await log.ByEventAsync(outboxEvent, cancellationToken);
        return TypedResults.Ok(Webhooks.WebhookEventView.From(outboxEvent, attempts, organisation.TimeZone));
    }

    [Function(nameof(WebhookRedeliver)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Deliver an event again to its usual URL (a new attempt chain, the same event id)."), ApiErrors(401, 403, 404)]
    public async Task<Accepted<WebhookQueuedResponse>> WebhookRedeliver(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/webhook-event/{id}/redeliver")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var outboxEvent = await payments.FindEventAsync(organisation, id, cancellationToken) ?? throw EventNotFound();
        var message = WebhookMessage.For(outboxEvent) with { Chain = NewChain() };
        await events.Queue.SendMessageAsync(message.ToJson(), cancellationToken);
        return TypedResults.Accepted($"/api/v1/webhook-event/{message.EventId}", new WebhookQueuedResponse(true, QueuedMessage));
    }

    [Function(nameof(WebhookFailedList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The organisation's events whose delivery failed after every retry."), ApiErrors(401, 403, 404)]
    public async Task<Ok<WebhookEventView[]>> WebhookFailedList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/webhook-event/failed")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        caller.ScopeOrganisation(id);
        var organisation = caller.RequireOrganisation();
        var failed = await payments.FailedEventsAsync(organisation, cancellationToken);
        var views = new List<WebhookEventView>(failed.Count);
        foreach (var e in failed)
        {
            views.Add(Webhooks.WebhookEventView.From(e, await log.ByEventAsync(e, cancellationToken), organisation.TimeZone));
        }
        return TypedResults.Ok(views.ToArray());
    }

    /// <summary>
    /// A chain name for a resend: "r" and the time in ms, so resends' attempts sort after the first chain's and by
    /// when they were asked for; two asked in one ms stay apart by a random suffix.
    /// </summary>
    private string NewChain() => WebhookMessage.ManualChain(time.GetUtcNow());

    private static ApiException EventNotFound() => ApiException.NotFound("Webhook event not found.");
}

/// <summary>The documents' answer to a resend.</summary>
public sealed record WebhookQueuedResponse(bool Success, string Message);

/// <summary><c>url=https://yoursite.com/webhook-endpoint</c>.</summary>
public sealed record ResendWebhookForm(string Url);

public sealed record WebhookAttemptView(
    string EventId, long TransactionId, int Sequence, string Chain, int Attempt, string Time, string Url,
    int? StatusCode, string? Error, long LatencyMs, string? ResponseBody, bool Delivered)
{
    public static WebhookAttemptView From(WebhookAttempt a, string zone) => new(
        a.EventId, a.TransactionId, a.Sequence, a.Chain, a.Attempt, ApiTime.Show(a.Time, zone), a.Url, a.StatusCode, a.Error, a.LatencyMs, a.ResponseBody, a.Delivered);
}

public sealed record WebhookEventView(
    string EventId, long TransactionId, int Sequence, string Kind, string Status, string Delivery, string Created, WebhookAttemptView[] Attempts)
{
    public static WebhookEventView From(OutboxEvent e, IEnumerable<WebhookAttempt> attempts, string zone) =>
        new(e.EventId, e.TransactionId, e.Sequence, e.Kind, e.Status, e.Delivery, ApiTime.Show(e.Created, zone),
            [.. attempts.Select(a => WebhookAttemptView.From(a, zone))]);
}
