using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Cashier;

/// <summary>
/// Timer function: sends approved payouts to the payout provider, and rejects cashier pages and 3-D Secure challenges
/// left open past <see cref="CashierOptions.SessionLifetime"/> (so every transaction ends, and the merchant hears
/// how). It reads only the transactions noted as due (see <see cref="CashierStore.NoteDueAsync"/>). Payouts are sent in
/// this batch rather than by the approve request, which answers <c>pending</c> as the document shows; a crash between
/// the two leaves the payout approved, and the next run sends it. Each step is an ETag-checked change under an
/// idempotency key, so overlapping or repeated runs pay nothing twice.
/// </summary>
public sealed class CashierRunner(CashierStore store, CashierService cashier, IOptions<CashierOptions> options,
    TimeProvider time, ILogger<CashierRunner> logger)
{
    /// <remarks>Every minute; each run takes everything due, so a missed run needs no replay.</remarks>
    [Function(nameof(CashierRunner))]
    public async Task Run([TimerTrigger("30 * * * * *", UseMonitor = false)] TimerInfo timer,
        CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        var now = time.GetUtcNow();
        var (paid, expired) = (0, 0);
        await foreach (var (organisationId, id) in store.DueAsync(now, cancellationToken))
        {
            var t = await store.GetAsync(organisationId, id, cancellationToken);
            if (t is { IsFinal: false } && t.Stage != CashierStages.Requested)
            {
                // A page is closed only once its lifetime is over, whatever its note says.
                if (t.Stage != CashierStages.Approved && t.Created + options.Value.SessionLifetime > now) continue;
                var done = await cashier.ResolveAsync(t, cancellationToken);
                if (!done.IsFinal) continue; // changed meanwhile: the next run looks again
                if (t.Stage == CashierStages.Approved) paid++;
                else expired++;
            }
            // Final, gone, or waiting for the merchant (approving notes it again): nothing more for the runner.
            await store.ForgetDueAsync(organisationId, id, cancellationToken);
        }
        if (paid + expired > 0) logger.LogInformation(
            "Cashier: {Paid} payouts sent, {Expired} abandoned transactions closed", paid, expired);
    }
}
