using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Payments;

/// <summary>
/// Timer function: finishes what interrupted requests left behind. 3-D Secure challenges nobody answered fail after
/// <see cref="HostedPayments.ChallengeTime"/>; refunds, settles and reversals still in flight after
/// <see cref="RefundGrace"/> are settled with the acquirer under their original key; idempotency records past their retention and cards remembered
/// on the hosted page but not tokenised within a day are deleted. Each step is idempotent, so overlapping or repeated
/// runs are harmless. All of it runs on real time, never an organisation's test clock: these limits protect the
/// platform and the payer, not the merchant's view of time.
/// </summary>
public sealed class PaymentSweep(PaymentStore store, PaymentService payments, RefundService refunds, AuthorisationService authorisations,
    CardVault vault, TimeProvider time, ILogger<PaymentSweep> logger)
{
    /// <summary>Far longer than any acquirer call: a refund this old is not still being made by its request.</summary>
    public static readonly TimeSpan RefundGrace = TimeSpan.FromMinutes(5);

    /// <remarks>Every five minutes; every step takes all that is due, so a missed run needs no replay.</remarks>
    [Function(nameof(PaymentSweep))]
    public async Task Run([TimerTrigger("0 */5 * * * *", UseMonitor = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        var now = time.GetUtcNow();

        var abandoned = 0;
        await foreach (var pending in store.OpenChallengesAsync(now - HostedPayments.ChallengeTime, cancellationToken))
        {
            await payments.AbandonChallengeAsync(pending, cancellationToken);
            abandoned++;
        }

        var resolved = 0;
        await foreach (var transaction in store.RefundsInFlightAsync(cancellationToken))
        {
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

        await foreach (var transaction in store.ChangesInFlightAsync(cancellationToken))
        {
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
        var expired = await store.DeleteExpiredIdempotencyAsync(now, cancellationToken) + await vault.DeleteExpiredCapturesAsync(now, cancellationToken);
        logger.LogInformation("Payment sweep: {Abandoned} abandoned challenges failed, {Resolved} refunds, settles and reversals resolved, {Expired} idempotency records and remembered cards deleted",
            abandoned, resolved, expired);
    }
}
