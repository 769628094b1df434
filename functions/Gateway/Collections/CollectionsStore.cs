using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Collections;

/// <summary>A row as read, with the ETag its next change must match.</summary>
public sealed record Stored<T>(T Value, ETag ETag);

/// <summary>
/// The collections' rows in the organisation's partition of the Payments table, so that a change and its outbox event
/// (the batched webhook) commit together, and a payment's advance, its transaction and the notes that lead the runner
/// to it are one entity-group transaction. Each resource is one row keyed by its prefixed id, its record as JSON
/// (<c>Data</c>) beside the few columns the queries filter on. Beside them: <c>cref-</c> (a transaction reference's
/// payment and latest transaction), <c>cocc-</c> (an occurrence booked: at most one transaction for it), <c>csub-</c>
/// (a transaction waiting for submission) and <c>cbat-</c> (a submission batch until the bank has it).
/// </summary>
public sealed class CollectionsStore(GatewayTables tables, PaymentStore payments)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Partition(long organisationId) => PaymentRows.Partition(organisationId);

    public async Task<Stored<T>?> GetAsync<T>(long organisationId, string id, CancellationToken cancellationToken)
    {
        var e = await tables.Payments.FindAsync(Partition(organisationId), id, cancellationToken: cancellationToken);
        return e is null ? null : Read<T>(e);
    }

    /// <summary>The rows of one kind (by id prefix) in id order, i.e. oldest first, after <paramref name="after"/>.</summary>
    public async IAsyncEnumerable<Stored<T>> ListAsync<T>(long organisationId, string prefix, string? after, string? filter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = TableFilters.RowPrefix(Partition(organisationId), prefix);
        if (after is not null) query = TableFilters.And(query, TableClient.CreateQueryFilter($"RowKey gt {after}"));
        if (filter is not null) query = TableFilters.And(query, filter);
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(query, cancellationToken: cancellationToken))
        {
            yield return Read<T>(e);
        }
    }

    public static TableEntity Row<T>(long organisationId, string id, T value, string state) => new(Partition(organisationId), id)
    {
        ["Kind"] = "collections", ["State"] = state, ["Data"] = JsonSerializer.Serialize(value, Json),
    };

    /// <summary>A mandate's row; <c>Parent</c> (its bank account) finds the mandates an account cancel must wait for.</summary>
    public static TableEntity Row(long organisationId, Mandate m) => With(Row(organisationId, m.Id, m, m.Status), "Parent", m.BankAccountId);

    /// <summary>
    /// A payment's row: <c>NextDate</c> (before the business-day rule) is what the runner's due query reads,
    /// <c>Parent</c> (its mandate) what a list by mandate filters on.
    /// </summary>
    public static TableEntity Row(long organisationId, CollectionPayment p) =>
        With(With(Row(organisationId, p.Id, p, p.Status), "NextDate", Day(p.NextDate)), "Parent", p.MandateId);

    public static TableEntity Row(long organisationId, DebitTransaction t)
    {
        var e = Row(organisationId, t.Id, t, t.Status);
        e["ChargedOn"] = Day(t.ChargedOn);
        e["StatusChangedAt"] = t.StatusChangedAt;
        e["PaymentMethod"] = t.PaymentMethodId;
        return e;
    }

    public static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static TableEntity With(TableEntity e, string name, object value)
    {
        e[name] = value;
        return e;
    }

    private static Stored<T> Read<T>(TableEntity e) =>
        new(JsonSerializer.Deserialize<T>(e.GetString("Data") ?? "null", Json)
            ?? throw new InvalidDataException($"Row {e.RowKey} holds no record."), e.ETag);

    /// <summary>One entity-group transaction in the organisation's partition: the new ETags, or null when refused.</summary>
    public Task<IReadOnlyList<ETag>?> SubmitAsync(IEnumerable<TableTransactionAction?> actions, CancellationToken cancellationToken) =>
        payments.SubmitAsync(actions, cancellationToken);

    // The transaction reference: a payment claims it when created; each transaction it books points it at itself.

    public static string ReferenceRow(string reference) =>
        "cref-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)));

    public static TableTransactionAction ClaimReference(long organisationId, string reference, string paymentId) =>
        TableActions.Insert(new TableEntity(Partition(organisationId), ReferenceRow(reference)) { ["PaymentId"] = paymentId });

    public static TableTransactionAction PointReference(long organisationId, string reference, string paymentId,
        string transactionId) =>
        TableActions.Upsert(new TableEntity(Partition(organisationId), ReferenceRow(reference))
        {
            ["PaymentId"] = paymentId, ["TransactionId"] = transactionId,
        });

    /// <summary>The latest transaction booked under a transaction reference.</summary>
    public async Task<Stored<DebitTransaction>?> FindByReferenceAsync(long organisationId, string reference,
        CancellationToken cancellationToken)
    {
        var index = await tables.Payments.FindAsync(Partition(organisationId), ReferenceRow(reference), ["TransactionId"],
            cancellationToken);
        return index?.GetString("TransactionId") is { } id
            ? await GetAsync<DebitTransaction>(organisationId, id, cancellationToken)
            : null;
    }

    /// <summary>The marker of a payment's occurrence: an insert, so a second transaction for it cannot commit.</summary>
    public static TableTransactionAction BookOccurrence(long organisationId, string paymentId, int index, string transactionId) =>
        TableActions.Insert(new TableEntity(Partition(organisationId), $"cocc-{paymentId}-{index:D5}")
        {
            ["TransactionId"] = transactionId,
        });

    // Submission notes: written with the transaction, deleted with its submission.

    private const string NotePrefix = "csub-";

    public static TableTransactionAction NoteSubmission(long organisationId, DebitTransaction t) =>
        TableActions.Insert(new TableEntity(Partition(organisationId), NotePrefix + t.Id)
        {
            ["ChargedOn"] = Day(t.ChargedOn), ["PaymentMethod"] = t.PaymentMethodId,
        });

    public static TableTransactionAction ClearSubmission(long organisationId, string transactionId) =>
        TableActions.Delete(Partition(organisationId), NotePrefix + transactionId, ETag.All);

    /// <summary>The transactions waiting for submission: (id, action date, payment method).</summary>
    public async Task<List<(string Id, string ChargedOn, string Method)>> WaitingAsync(long organisationId,
        CancellationToken cancellationToken)
    {
        var list = new List<(string, string, string)>();
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(TableFilters.RowPrefix(Partition(organisationId), NotePrefix),
            select: ["RowKey", "ChargedOn", "PaymentMethod"], cancellationToken: cancellationToken))
        {
            list.Add((e.RowKey[NotePrefix.Length..], e.GetString("ChargedOn")!, e.GetString("PaymentMethod")!));
        }
        return list;
    }

    // Submission batches: written with their transactions' submission, marked sent once the bank has them.

    private const string BatchPrefix = "cbat-";

    public static TableTransactionAction NewBatch(long organisationId, SubmissionBatch batch) =>
        TableActions.Insert(new TableEntity(Partition(organisationId), BatchPrefix + batch.Reference)
        {
            ["ActionDate"] = batch.ActionDate, ["PaymentMethod"] = batch.PaymentMethodId,
            ["Transactions"] = string.Join(',', batch.TransactionIds), ["Sent"] = false,
        });

    /// <summary>The batches the bank may not have yet (a run stopped between the commit and the bank).</summary>
    public async Task<List<SubmissionBatch>> UnsentBatchesAsync(long organisationId, CancellationToken cancellationToken)
    {
        var filter = TableFilters.And(TableFilters.RowPrefix(Partition(organisationId), BatchPrefix),
            TableClient.CreateQueryFilter($"Sent eq {false}"));
        var list = new List<SubmissionBatch>();
        await foreach (var e in tables.Payments.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(new SubmissionBatch(e.RowKey[BatchPrefix.Length..], e.GetString("ActionDate")!, e.GetString("PaymentMethod")!,
                e.GetString("Transactions")!.Split(',')));
        }
        return list;
    }

    public Task MarkSentAsync(long organisationId, string reference, CancellationToken cancellationToken) =>
        tables.Payments.TryMergeAsync(new TableEntity(Partition(organisationId), BatchPrefix + reference) { ["Sent"] = true },
            ETag.All, cancellationToken);

    // The organisations the submission runner visits: those that ever created a payment.

    private const string RegisterPrefix = "coll-";

    public Task RegisterAsync(long organisationId, CancellationToken cancellationToken) =>
        tables.Lookups.UpsertAsync(new TableEntity($"{RegisterPrefix}{organisationId:D10}", "") { ["OrganisationId"] = organisationId },
            cancellationToken);

    public async Task<IReadOnlyList<long>> RegisteredAsync(CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {RegisterPrefix} and PartitionKey lt {"coll."}");
        await foreach (var e in tables.Lookups.QueryAsync<TableEntity>(filter, select: ["OrganisationId"],
            cancellationToken: cancellationToken))
        {
            if (e.GetInt64("OrganisationId") is { } id) ids.Add(id);
        }
        return ids;
    }
}

/// <summary>A submission batch: its reference (on the bank's side too), action date, method and transactions.</summary>
public sealed record SubmissionBatch(string Reference, string ActionDate, string PaymentMethodId, IReadOnlyList<string> TransactionIds);
