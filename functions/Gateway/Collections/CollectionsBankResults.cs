using System.Text.Json;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Collections;

/// <summary>
/// Queue function: applies a batch's answers from the bank. Each transaction moves once (submitted to paid or unpaid,
/// paid to disputed), with an entry in its history; the changes of up to a batch's worth of transactions and their
/// webhook commit together, ETag-checked, and a lost race is retried from a fresh read. A message delivered twice
/// (the queue is at least once; a run may fetch a batch again) finds its transactions already moved and does nothing.
/// </summary>
public sealed class CollectionsBankResults(CollectionsStore store, CollectionsEvents events, IdentityStore identity,
    IOptions<CollectionsOptions> options, TimeProvider time, ILogger<CollectionsBankResults> logger)
{
    /// <summary>Fresh reads per chunk before the message is left to the queue's own retry.</summary>
    public const int MaxAttempts = 5;

    [Function(nameof(CollectionsBankResults))]
    public async Task Run(
        [QueueTrigger("%Collections:BankResultsQueue%", Connection = "AzureWebJobsStorage")] string body,
        CancellationToken cancellationToken)
    {
        var results = JsonSerializer.Deserialize<BankResults>(body, ApiJson.Options)
            ?? throw new InvalidDataException("Not a bank results message.");
        if (await identity.GetOrganisationAsync(results.OrganisationId, cancellationToken) is not { } organisation)
        {
            logger.LogWarning("Bank results of batch {Batch} name organisation {OrganisationId}, which is gone; dropped",
                results.BatchReference, results.OrganisationId);
            return;
        }
        var zone = ApiTime.Zone(organisation.TimeZone);
        foreach (var chunk in results.Answers.Chunk(options.Value.BatchSize))
        {
            for (var attempt = 1; !await ApplyAsync(organisation, zone, results.BatchReference, chunk, cancellationToken); attempt++)
            {
                if (attempt == MaxAttempts) throw new TimeoutException($"Batch {results.BatchReference}: changes kept racing.");
            }
        }
    }

    /// <summary>Applies the answers that still apply; false when another change got in between the read and the commit.</summary>
    private async Task<bool> ApplyAsync(Organisation organisation, TimeZoneInfo zone, string batch, BankAnswer[] answers,
        CancellationToken cancellationToken)
    {
        var read = await Task.WhenAll(answers.Select(a => store.GetAsync<DebitTransaction>(organisation.Id, a.TransactionId,
            cancellationToken)));
        var now = organisation.Now(time);
        var changes = new List<(Stored<DebitTransaction> Before, DebitTransaction After)>();
        foreach (var (answer, t) in answers.Zip(read))
        {
            if (t is null || t.Value.BatchReference != batch || Apply(t.Value, answer, now, zone) is not { } after) continue;
            changes.Add((t, after));
        }
        if (changes.Count == 0) return true;
        var webhook = await events.BatchAsync(organisation.Id, changes.Select(c => c.After), zone, cancellationToken);
        var committed = await store.SubmitAsync(
        [
            .. changes.Select(c => TableActions.Replace(CollectionsStore.Row(organisation.Id, c.After), c.Before.ETag)),
            PaymentStore.EventInsert(webhook, time.GetUtcNow(), null),
        ], cancellationToken);
        if (committed is null) return false;
        await events.PublishAsync(webhook, cancellationToken);
        return true;
    }

    /// <summary>The transaction after the answer, or null when the answer does not move it (already applied).</summary>
    private static DebitTransaction? Apply(DebitTransaction t, BankAnswer answer, DateTimeOffset now, TimeZoneInfo zone)
    {
        var status = (t.Status, answer.Outcome) switch
        {
            (CollectionsCatalogue.Submitted, BankOutcomes.Paid) => CollectionsCatalogue.Paid,
            (CollectionsCatalogue.Submitted, BankOutcomes.Unpaid) => CollectionsCatalogue.Unpaid,
            (CollectionsCatalogue.Paid, BankOutcomes.Disputed) => CollectionsCatalogue.Disputed,
            _ => null,
        };
        if (status is null) return null;
        var history = t.SubmissionData;
        // A warning (the account type the bank corrected) is history only: the debit still went through.
        if (answer.Message is { } warning)
        {
            history = CollectionsSubmission.Append(history, CollectionsEvents.Entry(t.PaymentMethodId, "warning", answer.Code, warning, now, zone));
        }
        var name = CollectionsCatalogue.NameOf(status);
        history = CollectionsSubmission.Append(history, CollectionsEvents.Entry(t.PaymentMethodId, name,
            status == CollectionsCatalogue.Paid ? "0" : answer.Code, answer.Reason, now, zone));
        return t with
        {
            Status = status, Updated = now, StatusChangedAt = now, SubmissionData = history,
            UnpaidReason = status == CollectionsCatalogue.Unpaid ? answer.Reason : t.UnpaidReason,
        };
    }
}
