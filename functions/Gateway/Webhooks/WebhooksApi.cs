using System.Globalization;
using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Webhooks;

/// <summary>The delivery log and resends. Attempts carry receivers' answers, so only administrators and API keys read them.</summary>
public static class WebhooksApi
{
    public const string QueuedMessage = "Webhook has been queued successfully";

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").RequireAuthorization(Policies.PaymentAdministrator).WithTags("Webhooks");
        group.MapFunction(Functions.TransactionWebhooks, ByTransactionAsync)
            .WithSummary("Every webhook attempt for a transaction's events, oldest event first.").ProducesApiErrors(401, 403, 404);
        group.MapFunction(Functions.WebhookResend, ResendAsync)
            .WithSummary("Post the transaction's latest event to the given url (a new attempt chain, the same event id).")
            .AcceptsForm<ResendWebhookForm>().ProducesApiErrors(400, 401, 403, 404, 413, 415);
        group.MapFunction(Functions.WebhookEventView, ByEventAsync)
            .WithSummary("An event's delivery state and its attempts.").ProducesApiErrors(401, 403, 404);
        group.MapFunction(Functions.WebhookRedeliver, RedeliverAsync)
            .WithSummary("Deliver an event again to its usual URL (a new attempt chain, the same event id).").ProducesApiErrors(401, 403, 404);
        group.MapFunction(Functions.WebhookFailedList, FailedAsync)
            .WithSummary("The organisation's events whose delivery failed after every retry.").ProducesApiErrors(401, 403, 404);
    }

    private static async Task<Ok<WebhookAttemptView[]>> ByTransactionAsync(string id, Caller caller, PaymentStore payments, WebhookLog log, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var transaction = await payments.GetAsync(organisation.Id, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        var attempts = await log.ByTransactionAsync(organisation.Id, transaction.Id, cancellationToken);
        return TypedResults.Ok(attempts.Select(a => WebhookAttemptView.From(a, organisation.TimeZone)).ToArray());
    }

    private static async Task<Ok<WebhookQueuedResponse>> ResendAsync(string id, RequestForm form, Caller caller, PaymentStore payments, WebhookLog log,
        WebhookUrls urls, PaymentEvents events, TimeProvider time, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var transactionId = Ids.ParseOrNotFound(id, "Transaction");
        var url = form.Root.Text("url", WebhookUrls.MaxLength + 1) ?? throw ApiException.BadRequest("url", "is required.");
        await urls.CheckAsync("url", url, organisation, cancellationToken);
        _ = await payments.GetAsync(organisation.Id, transactionId, cancellationToken) ?? throw PaymentService.TransactionNotFound();
        var latest = await payments.LatestEventAsync(organisation.Id, transactionId, cancellationToken)
            ?? throw ApiException.NotFound("The transaction has no webhook event yet.");
        var message = WebhookMessage.For(latest) with { Chain = NewChain(time), Url = url };
        await events.Queue.SendMessageAsync(message.ToJson(), cancellationToken);
        return TypedResults.Ok(new WebhookQueuedResponse(true, QueuedMessage));
    }

    private static async Task<Ok<WebhookEventView>> ByEventAsync(string id, Caller caller, PaymentStore payments, WebhookLog log,
        CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var outboxEvent = await payments.FindEventAsync(organisation.Id, id, cancellationToken) ?? throw EventNotFound();
        var attempts = await log.ByEventAsync(outboxEvent, cancellationToken);
        return TypedResults.Ok(WebhookEventView.From(outboxEvent, attempts, organisation.TimeZone));
    }

    private static async Task<Accepted<WebhookQueuedResponse>> RedeliverAsync(string id, Caller caller, PaymentStore payments, PaymentEvents events,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var outboxEvent = await payments.FindEventAsync(organisation.Id, id, cancellationToken) ?? throw EventNotFound();
        var message = WebhookMessage.For(outboxEvent) with { Chain = NewChain(time) };
        await events.Queue.SendMessageAsync(message.ToJson(), cancellationToken);
        return TypedResults.Accepted($"/api/v1/webhook-event/{message.EventId}", new WebhookQueuedResponse(true, QueuedMessage));
    }

    private static async Task<Ok<WebhookEventView[]>> FailedAsync(string id, Caller caller, PaymentStore payments, WebhookLog log,
        CancellationToken cancellationToken)
    {
        caller.ScopeOrganisation(id);
        var organisation = caller.RequireOrganisation();
        var failed = await payments.FailedEventsAsync(organisation.Id, cancellationToken);
        var views = new List<WebhookEventView>(failed.Count);
        foreach (var e in failed) views.Add(WebhookEventView.From(e, await log.ByEventAsync(e, cancellationToken), organisation.TimeZone));
        return TypedResults.Ok(views.ToArray());
    }

    /// <summary>A chain name for a resend: "r" and the time in ms, so resends' attempts sort after the first chain's and by when they were asked for.</summary>
    private static string NewChain(TimeProvider time) =>
        "r" + time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + Identity.Secrets.Hex(2); // two asked in one ms stay apart

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
