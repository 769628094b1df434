using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Collections;

/// <summary>What one run did, for the log and the admin endpoint's callers.</summary>
public sealed record CollectionsRunResult(int Booked, int Submitted, int Answered, int Failures);

/// <summary>
/// Timer function (and <c>POST /admin/functions/CollectionsSubmission</c>): for each organisation with collections,
/// by its clock,
/// <list type="number">
/// <item>asks debtors to approve pending DebiCheck mandates;</item>
/// <item>books each due occurrence of each active payment as a transaction: the transaction, the occurrence's marker
/// (an insert), the payment's advance (ETag-checked) and the transaction's submission note are one entity-group
/// transaction, so an occurrence is booked exactly once however many runners race or die;</item>
/// <item>submits waiting transactions in batches: the batch row, each transaction's change to submitted (ETag-checked),
/// the notes' removal and the batch's webhook commit together, then the bank is sent the batch and the batch is marked
/// sent; a batch a run left unsent is sent again by the next (the bank takes a batch reference once);</item>
/// <item>fetches the bank's answers that are due and queues them for <see cref="CollectionsBankResults"/>, then
/// acknowledges them at the bank (a run that stops between sends them again; applying them is idempotent).</item>
/// </list>
/// </summary>
public sealed class CollectionsSubmission(
    CollectionsStore store, CollectionsService service, CollectionsEvents events, ICollectionsBank bank, IdentityStore identity,
    QueueServiceClient queues, IOptions<CollectionsOptions> options, TimeProvider time, ILogger<CollectionsSubmission> logger)
{
    private readonly QueueClient _results = queues.GetQueueClient(options.Value.BankResultsQueue);

    /// <summary>A payment's occurrences booked per run at most, so one long backlog cannot hold a run.</summary>
    public const int MaxOccurrencesPerRun = 60;

    /// <remarks>Every five minutes: debit orders run by the day, and a missed run is caught up by the next.</remarks>
    [Function(nameof(CollectionsSubmission))]
    public async Task Run([TimerTrigger("0 */5 * * * *", UseMonitor = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        await RunOnceAsync(cancellationToken);
    }

    public async Task<CollectionsRunResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var run = new Tally();
        foreach (var organisationId in await store.RegisteredAsync(cancellationToken))
        {
            try
            {
                if (await identity.GetOrganisationAsync(organisationId, cancellationToken) is not { Mode: OrganisationModes.Test } organisation)
                {
                    continue;
                }
                var context = new Context(organisation, ApiTime.Zone(organisation.TimeZone), service.Today(organisation));
                await ApproveMandatesAsync(context, cancellationToken);
                await BookDueAsync(context, run, cancellationToken);
                await SubmitWaitingAsync(context, run, cancellationToken);
                await SendUnsentAsync(context, cancellationToken);
                await FetchAnswersAsync(context, run, cancellationToken);
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One organisation's trouble does not hold up the others; everything left is picked up by the next run.
                Interlocked.Increment(ref run.Failures);
                logger.LogWarning(error, "Collections run: organisation {OrganisationId} left for a later run", organisationId);
            }
        }
        var result = new CollectionsRunResult(run.Booked, run.Submitted, run.Answered, run.Failures);
        if (result != new CollectionsRunResult(0, 0, 0, 0)) logger.LogInformation("Collections run: {Result}", result);
        return result;
    }

    private sealed class Tally
    {
        public int Booked;
        public int Submitted;
        public int Answered;
        public int Failures;
    }

    /// <summary>The organisation as this run sees it, with the rows it read once (accounts, mandates).</summary>
    private sealed record Context(Organisation Organisation, TimeZoneInfo Zone, DateOnly Today)
    {
        public long Id => Organisation.Id;
        public ConcurrentDictionary<string, Task<Stored<Mandate>?>> Mandates { get; } = new();
        public ConcurrentDictionary<string, Task<Stored<BankAccount>?>> Accounts { get; } = new();
        public DateTimeOffset Now(TimeProvider time) => Organisation.Now(time);
    }

    private Task<Stored<Mandate>?> MandateAsync(Context c, string id, CancellationToken cancellationToken) =>
        c.Mandates.GetOrAdd(id, key => store.GetAsync<Mandate>(c.Id, key, cancellationToken));

    private Task<Stored<BankAccount>?> AccountAsync(Context c, string id, CancellationToken cancellationToken) =>
        c.Accounts.GetOrAdd(id, key => store.GetAsync<BankAccount>(c.Id, key, cancellationToken));

    private async Task ApproveMandatesAsync(Context c, CancellationToken cancellationToken)
    {
        var filter = Azure.Data.Tables.TableClient.CreateQueryFilter($"State eq {CollectionStates.Pending}");
        await foreach (var m in store.ListAsync<Mandate>(c.Id, CollectionsIds.Mandate, null, filter, cancellationToken))
        {
            if (await AccountAsync(c, m.Value.BankAccountId, cancellationToken) is not { } account) continue;
            var answer = await bank.AuthoriseMandateAsync(c.Id, m.Value, service.AccountNumber(c.Id, account.Value), cancellationToken);
            if (answer.Status == CollectionStates.Pending) continue;
            var decided = m.Value with { Updated = c.Now(time), Status = answer.Status, RejectedReason = answer.Reason };
            // Refused: cancelled meanwhile, or another runner decided it first; either way it is no longer pending.
            await store.SubmitAsync([TableActions.Replace(CollectionsStore.Row(c.Id, decided), m.ETag)], cancellationToken);
        }
    }

    private async Task BookDueAsync(Context c, Tally run, CancellationToken cancellationToken)
    {
        var filter = Azure.Data.Tables.TableClient.CreateQueryFilter(
            $"State eq {CollectionStates.Active} and NextDate le {CollectionsStore.Day(c.Today)}");
        var due = new List<Stored<CollectionPayment>>();
        await foreach (var p in store.ListAsync<CollectionPayment>(c.Id, CollectionsIds.Payment, null, filter, cancellationToken)) due.Add(p);
        // Shuffled, so that runners at once (rare: the host runs a timer on one instance at a time) spread out.
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(due));
        await Parallel.ForEachAsync(due, new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = cancellationToken,
        }, async (payment, ct) =>
        {
            var booked = await BookAsync(c, payment, ct);
            Interlocked.Add(ref run.Booked, booked);
        });
    }

    /// <summary>Books the payment's due occurrences in order; returns how many this runner booked.</summary>
    private async Task<int> BookAsync(Context c, Stored<CollectionPayment>? payment, CancellationToken cancellationToken)
    {
        var booked = 0;
        for (var step = 0; payment is { Value.Status: CollectionStates.Active } && step < MaxOccurrencesPerRun; step++)
        {
            var p = payment.Value;
            var chargedOn = service.Calendar.ActionDate(p.NextDate);
            if (chargedOn > c.Today) break;
            var mandate = await MandateAsync(c, p.MandateId, cancellationToken);
            if (mandate?.Value.Status is null or CollectionStates.Pending) break; // waiting for the debtor's approval
            var now = c.Now(time);
            CollectionPayment advanced;
            DebitTransaction? t = null;
            if (mandate.Value.Status != CollectionStates.Active)
            {
                // The mandate was cancelled or rejected: the payment stops, with nothing to book.
                advanced = p with { Updated = now, Status = CollectionStates.Cancelled };
            }
            else
            {
                advanced = p with
                {
                    Next = p.Next + 1,
                    Status = p.Frequency == CollectionFrequencies.Once ? CollectionStates.Completed : p.Status,
                };
                t = new DebitTransaction(CollectionsIds.New(CollectionsIds.Transaction, time.GetUtcNow()), now, null, chargedOn, now,
                    p.PaymentMethodId, p.Id, p.CustomerId, p.BankAccountId, p.MandateId, p.TransactionReference, null, null,
                    CollectionsCatalogue.Pending, p.AmountMinor, Snapshot(p, c), null, [], p.Next);
            }
            var etags = await store.SubmitAsync(
            [
                TableActions.Replace(CollectionsStore.Row(c.Id, advanced), payment.ETag),
                t is null ? null : TableActions.Insert(CollectionsStore.Row(c.Id, t)),
                t is null ? null : CollectionsStore.BookOccurrence(c.Id, p.Id, p.Next, t.Id),
                t is null ? null : CollectionsStore.NoteSubmission(c.Id, t),
                t is null ? null : CollectionsStore.PointReference(c.Id, p.TransactionReference, p.Id, t.Id),
            ], cancellationToken);
            if (etags is null)
            {
                // Another runner booked this occurrence (or the merchant changed the payment): start again from the row.
                payment = await store.GetAsync<CollectionPayment>(c.Id, p.Id, cancellationToken);
                continue;
            }
            if (t is not null) booked++;
            payment = new Stored<CollectionPayment>(advanced, etags[0]);
        }
        return booked;
    }

    /// <summary>The document's <c>payment_data</c>: the payment as its view showed it when the transaction was booked.</summary>
    private JsonObject Snapshot(CollectionPayment p, Context c) =>
        JsonSerializer.SerializeToNode(CollectionsViews.View(p, c.Zone, service.Calendar), ApiJson.Options)!.AsObject();

    private async Task SubmitWaitingAsync(Context c, Tally run, CancellationToken cancellationToken)
    {
        var waiting = await store.WaitingAsync(c.Id, cancellationToken);
        foreach (var group in waiting.GroupBy(w => (w.ChargedOn, w.Method)))
        {
            foreach (var chunk in group.Chunk(options.Value.BatchSize))
            {
                var read = await Task.WhenAll(chunk.Select(w => store.GetAsync<DebitTransaction>(c.Id, w.Id, cancellationToken)));
                var pending = read.OfType<Stored<DebitTransaction>>().Where(t => t.Value.Status == CollectionsCatalogue.Pending).ToList();
                if (pending.Count == 0) continue;
                var now = c.Now(time);
                var batch = new SubmissionBatch(BatchReference(), group.Key.ChargedOn, group.Key.Method, [.. pending.Select(t => t.Value.Id)]);
                var submitted = pending.Select(t => t.Value with
                {
                    Updated = now, StatusChangedAt = now, Status = CollectionsCatalogue.Submitted, BatchReference = batch.Reference,
                    PaymentReference = CollectionsService.Reference(c.Organisation.Name),
                    SubmissionData = Append(t.Value.SubmissionData, CollectionsEvents.Entry(t.Value.PaymentMethodId, "submitted", "0",
                        null, now, c.Zone)),
                }).ToList();
                var webhook = await events.BatchAsync(c.Id, submitted, c.Zone, cancellationToken);
                var committed = await store.SubmitAsync(
                [
                    CollectionsStore.NewBatch(c.Id, batch),
                    .. pending.Zip(submitted).Select(p => TableActions.Replace(CollectionsStore.Row(c.Id, p.Second), p.First.ETag)),
                    .. pending.Select(t => CollectionsStore.ClearSubmission(c.Id, t.Value.Id)),
                    PaymentStore.EventInsert(webhook, time.GetUtcNow(), null),
                ], cancellationToken);
                // Refused: another runner submitted some of these first; what is left waits for the next run.
                if (committed is null) continue;
                Interlocked.Add(ref run.Submitted, submitted.Count);
                await events.PublishAsync(webhook, cancellationToken);
                await SendAsync(c, batch, submitted, cancellationToken);
            }
        }
    }

    private async Task SendUnsentAsync(Context c, CancellationToken cancellationToken)
    {
        foreach (var batch in await store.UnsentBatchesAsync(c.Id, cancellationToken))
        {
            var read = await Task.WhenAll(batch.TransactionIds.Select(id => store.GetAsync<DebitTransaction>(c.Id, id, cancellationToken)));
            await SendAsync(c, batch, [.. read.OfType<Stored<DebitTransaction>>().Select(t => t.Value)], cancellationToken);
        }
    }

    private async Task SendAsync(Context c, SubmissionBatch batch, IReadOnlyList<DebitTransaction> transactions,
        CancellationToken cancellationToken)
    {
        // The batch's accounts are read together (each once per run), not one after another.
        var accounts = await Task.WhenAll(transactions.Select(t => AccountAsync(c, t.BankAccountId, cancellationToken)));
        var debits = transactions.Zip(accounts, (t, account) => account is null
            ? throw new InvalidDataException($"Transaction {t.Id} names bank account {t.BankAccountId}, which is gone.")
            : new BankDebit(t.Id, t.PaymentReference!, account.Value.BranchCode, service.AccountNumber(c.Id, account.Value),
                account.Value.AccountType, t.AmountMinor)).ToList();
        await bank.SubmitAsync(new BankSubmission(c.Id, batch.Reference, DateOnly.Parse(batch.ActionDate, System.Globalization.CultureInfo.InvariantCulture),
            batch.PaymentMethodId, debits), cancellationToken);
        await store.MarkSentAsync(c.Id, batch.Reference, cancellationToken);
    }

    private async Task FetchAnswersAsync(Context c, Tally run, CancellationToken cancellationToken)
    {
        foreach (var results in await bank.ResultsAsync(c.Id, c.Today, cancellationToken))
        {
            await _results.SendMessageAsync(JsonSerializer.Serialize(results, ApiJson.Options), cancellationToken);
            await bank.AcknowledgeAsync(c.Id, results.BatchReference, cancellationToken);
            Interlocked.Add(ref run.Answered, results.Answers.Count);
        }
    }

    public static JsonArray Append(JsonArray history, JsonObject entry) => [.. history.Select(e => e?.DeepClone()), entry];

    /// <summary>A batch reference in the documents' style: four letters and eight digits.</summary>
    private static string BatchReference() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) + RandomNumberGenerator.GetString("0123456789", 8);
}
