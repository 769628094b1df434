using Gateway.Hosting;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Payments;

/// <summary>
/// Timer function: finishes what interrupted requests left behind. 3-D Secure challenges nobody answered fail after
/// <see cref="HostedPayments.ChallengeTime"/>; refunds, settles and reversals still in flight after
/// <see cref="RefundGrace"/> are settled with the acquirer under their original key; idempotency records past their retention and cards remembered
/// on the hosted page but not tokenised within a day are deleted. Each step is idempotent, so overlapping or repeated
/// runs are harmless. All of it runs on real time, never an organisation's test clock: these limits protect the
/// platform and the payer, not the merchant's view of time.
/// </summary>
public sealed class PaymentSweep(GatewayTables tables, PaymentService payments, RefundService refunds, AuthorisationService authorisations,
    TimeProvider time, ILogger<PaymentSweep> logger) : ITimerFunction
{
    /// <summary>Far longer than any acquirer call: a refund this old is not still being made by its request.</summary>
    public static readonly TimeSpan RefundGrace = TimeSpan.FromMinutes(5);

    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var transactions = TableFilter.GreaterThanOrEqual("RowKey", PaymentRows.TransactionPrefix).And(TableFilter.LessThan("RowKey", "txn."));

        var abandoned = 0;
        var pending = transactions.And(TableFilter.Equal("Status", TransactionStatus.Pending)).And(TableFilter.LessThan("ChallengeStarted", now - HostedPayments.ChallengeTime));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(pending), cancellationToken))
        {
            await payments.AbandonChallengeAsync(PaymentTransaction.FromEntity(OrganisationOf(row), row), cancellationToken);
            abandoned++;
        }

        var resolved = 0;
        var refunding = transactions.And(TableFilter.GreaterThanOrEqual("RefundsInFlight", "["));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(refunding), cancellationToken))
        {
            var transaction = PaymentTransaction.FromEntity(OrganisationOf(row), row);
            foreach (var refund in transaction.RefundsInFlight.Where(r => r.Since < now - RefundGrace))
            {
                try
                {
                    await refunds.ResolveAsync(transaction, refund, cancellationToken);
                    resolved++;
                }
                catch (Api.ApiException error) when (error.Status == StatusCodes.Status502BadGateway)
                {
                    logger.LogWarning("Refund {RefundId} of transaction {TransactionId} is still unconfirmed by the acquirer", refund.Id, transaction.Id);
                }
            }
        }

        var changing = transactions.And(TableFilter.GreaterThanOrEqual("Changing", "{"));
        await foreach (var row in tables.Payments.QueryAsync(new TableQuery(changing), cancellationToken))
        {
            var transaction = PaymentTransaction.FromEntity(OrganisationOf(row), row);
            if (transaction.Changing!.Since >= now - RefundGrace) continue;
            try
            {
                await authorisations.ResolveAsync(transaction, cancellationToken);
                resolved++;
            }
            catch (Api.ApiException error) when (error.Status == StatusCodes.Status502BadGateway)
            {
                logger.LogWarning("The {Change} of transaction {TransactionId} is still unconfirmed by the acquirer", transaction.Changing.Kind, transaction.Id);
            }
        }

        // Idempotency records past their retention, and remembered cards nobody tokenised within a day (sealed,
        // but a card number kept without purpose is still one too many).
        var expired = 0;
        foreach (var prefix in new[] { "idem-", Cards.StoredCard.CapturePrefix })
        {
            var records = TableFilter.GreaterThanOrEqual("RowKey", prefix).And(TableFilter.LessThan("RowKey", prefix[..^1] + "."))
                .And(TableFilter.LessThan("Expires", now));
            await foreach (var row in tables.Payments.QueryAsync(new TableQuery(records, ["PartitionKey", "RowKey", "Expires"]), cancellationToken))
            {
                // If-Match: a request that took the key over (or a newer capture) since the query must keep its row.
                if ((await tables.Payments.DeleteAsync(row.PartitionKey, row.RowKey, row.ETag!, cancellationToken)).IsSuccess) expired++;
            }
        }
        logger.LogInformation("Payment sweep: {Abandoned} abandoned challenges failed, {Resolved} refunds, settles and reversals resolved, {Expired} idempotency records and remembered cards deleted",
            abandoned, resolved, expired);
    }

    private static long OrganisationOf(TableEntity row) => long.Parse(row.PartitionKey.AsSpan("org-".Length), System.Globalization.CultureInfo.InvariantCulture);
}
