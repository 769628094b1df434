using System.Globalization;
using Azure.Data.Tables;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Webhooks;

/// <summary>One delivery attempt, as logged.</summary>
public sealed record WebhookAttempt(
    string EventId, long TransactionId, int Sequence, string Chain, int Attempt, DateTimeOffset Time, string Url,
    int? StatusCode, string? Error, long LatencyMs, string? ResponseBody, bool Delivered)
{
    /// <summary>Enough of a receiver's answer to diagnose it without storing whatever it chose to send back.</summary>
    public const int MaxResponseChars = 4096;

    /// <summary>In the partition named like its transaction's, so a busy merchant's log spreads as its payments do.</summary>
    public TableEntity ToEntity(long organisationId) =>
        new(PaymentRows.TransactionPartition(organisationId, TransactionId), WebhookRows.AttemptRow(TransactionId, Sequence, Chain, Attempt))
    {
        ["EventId"] = EventId,
        ["Time"] = Time,
        ["Url"] = Url,
        ["StatusCode"] = StatusCode,
        ["Error"] = Error,
        ["LatencyMs"] = LatencyMs,
        ["ResponseBody"] = ResponseBody,
        ["Delivered"] = Delivered,
    };

    public static WebhookAttempt FromEntity(TableEntity e)
    {
        // wha-{transaction:D12}-{sequence:D6}-{chain}-{attempt:D3}
        var parts = e.RowKey.Split('-');
        return new(e.GetString("EventId")!, long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture), parts[3],
            int.Parse(parts[4], CultureInfo.InvariantCulture), e.GetDateTimeOffset("Time")!.Value, e.GetString("Url")!, e.GetInt32("StatusCode"),
            e.GetString("Error"), e.GetInt64("LatencyMs") ?? 0, e.GetString("ResponseBody"), e.GetBoolean("Delivered") ?? false);
    }
}

/// <summary>Row keys of the delivery log: by transaction, event sequence, chain and attempt, so each view is one key range.</summary>
public static class WebhookRows
{
    public const string AttemptPrefix = "wha-";

    public static string AttemptRow(long transactionId, int sequence, string chain, int attempt) =>
        $"{AttemptPrefix}{transactionId:D12}-{sequence:D6}-{chain}-{attempt:D3}";

    public static string TransactionAttemptPrefix(long transactionId) => $"{AttemptPrefix}{transactionId:D12}-";
}

/// <summary>The delivery log: every attempt, in the WebhookAttempts table by organisation, keyed beside its event.</summary>
public sealed class WebhookLog(GatewayTables tables)
{
    public Task WriteAsync(long organisationId, WebhookAttempt attempt, CancellationToken cancellationToken) =>
        // Upsert: a redelivered queue message repeats its attempt, and the log keeps the latest try of it.
        tables.WebhookAttempts.UpsertAsync(attempt.ToEntity(organisationId), cancellationToken);

    public Task<List<WebhookAttempt>> ByTransactionAsync(long organisationId, long transactionId, CancellationToken cancellationToken) =>
        QueryAsync(TableFilters.RowPrefix(PaymentRows.TransactionPartition(organisationId, transactionId),
            WebhookRows.TransactionAttemptPrefix(transactionId)), cancellationToken);

    public Task<List<WebhookAttempt>> ByEventAsync(OutboxEvent e, CancellationToken cancellationToken) =>
        QueryAsync(TableFilters.RowPrefix(PaymentRows.TransactionPartition(e.OrganisationId, e.TransactionId), $"{WebhookRows.TransactionAttemptPrefix(e.TransactionId)}{e.Sequence:D6}-"),
            cancellationToken);

    private async Task<List<WebhookAttempt>> QueryAsync(string filter, CancellationToken cancellationToken)
    {
        var attempts = new List<WebhookAttempt>();
        await foreach (var row in tables.WebhookAttempts.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            attempts.Add(WebhookAttempt.FromEntity(row));
        }
        return attempts;
    }
}
