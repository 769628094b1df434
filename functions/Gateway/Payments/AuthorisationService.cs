using System.Globalization;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>
/// Settling and reversing authorisations, in three steps like refunds: mark the change on the transaction (an
/// ETag-checked write, so only one change of an authorisation can be in flight), ask the acquirer under a key made
/// from the change's id, then book it with its event. If the acquirer does not answer, the mark stays: a retry with
/// the same Idempotency-Key, or <see cref="PaymentSweep"/>, asks again under the same key. So the amount booked is
/// always the amount captured, and an authorisation is never captured twice.
/// </summary>
/// <remarks>
/// The mark's time is real (the sweep's grace is a platform limit); the booked change's <c>updated</c> follows the
/// organisation's clock, like every stamp merchants see.
/// </remarks>
public sealed class AuthorisationService(PaymentStore store, PaymentService payments, AcquirerRouter acquirers, OrganisationClock clock, TimeProvider time)
{
    public Task<StoredResponse> SettleAsync(Organisation organisation, TransactionLocator locator, long? amountMinor,
        IdempotencyScope scope, CancellationToken cancellationToken) =>
        ChangeAsync(organisation, locator, scope, t => amountMinor ?? t.AmountMinor, cancellationToken);

    public Task<StoredResponse> ReverseAsync(Organisation organisation, TransactionLocator locator, IdempotencyScope scope,
        CancellationToken cancellationToken) =>
        ChangeAsync(organisation, locator, scope, _ => null, cancellationToken);

    private async Task<StoredResponse> ChangeAsync(Organisation organisation, TransactionLocator locator, IdempotencyScope scope,
        Func<PaymentTransaction, long?> settleAmount, CancellationToken cancellationToken)
    {
        var changeId = scope.ReservedId?.ToString(CultureInfo.InvariantCulture) ?? Guid.NewGuid().ToString("N");
        PaymentTransaction? marked = null;
        for (var attempt = 0; marked is null; attempt++)
        {
            if (attempt == PaymentService.MaxAttempts) throw IdentityStore.Busy();
            var current = await locator.FindAsync(store, organisation, cancellationToken) ?? throw PaymentService.TransactionNotFound();
            if (scope.ReservedId is not null && current.Changing is null && current.Status != TransactionStatus.Authorised
                && current.LastChangeId == changeId)
            {
                // A retry of a change the sweep booked meanwhile: answer as booked.
                return await AnswerAsync(organisation, current, scope, cancellationToken);
            }
            var marking = current.BeginChange(changeId, settleAmount(current), time.GetUtcNow());
            marked = ReferenceEquals(marking, current) ? current : await payments.TryWriteAsync(current, marking, withEvent: false, [], cancellationToken);
            if (marked is null) await PaymentService.Contended(attempt, cancellationToken);
        }

        var result = await AskAsync(marked, cancellationToken);
        var booked = await FinishAsync(marked, changeId, result.Approved, organisation, scope, cancellationToken);
        return result.Approved ? booked! : throw ApiException.Conflict($"The acquirer refused: {result.ResponseText}.");
    }

    /// <summary>For the sweep: asks the acquirer again about a change left in flight and books or drops it.</summary>
    public async Task ResolveAsync(PaymentTransaction transaction, CancellationToken cancellationToken)
    {
        var result = await AskAsync(transaction, cancellationToken);
        await FinishAsync(transaction, transaction.Changing!.Id, result.Approved, null, IdempotencyScope.None, cancellationToken);
    }

    private Task<AcquirerResult> AskAsync(PaymentTransaction t, CancellationToken cancellationToken)
    {
        var change = t.Changing!;
        var acquirer = acquirers.For(t.IsDemo);
        return PaymentService.CallAsync(() => change.Kind == "settle"
            ? acquirer.CaptureAsync(t.AcquirerReference!, change.AmountMinor, $"capture-{t.Id}-{change.Id}", cancellationToken)
            : acquirer.VoidAsync(t.AcquirerReference!, $"void-{t.Id}-{change.Id}", cancellationToken));
    }

    /// <summary>Books or drops the change; the response when booked for a request (null for the sweep or a refusal).</summary>
    private async Task<StoredResponse?> FinishAsync(PaymentTransaction known, string changeId, bool approved, Organisation? organisation,
        IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var now = organisation?.Now(time) ?? await clock.NowAsync(known.OrganisationId, cancellationToken);
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            // The first try starts from the transaction as last read or written; after a lost race, from a fresh read.
            var current = attempt == 0 ? known
                : await store.GetAsync(known.OrganisationId, known.Id, cancellationToken) ?? throw PaymentService.TransactionNotFound();
            if (current.Changing?.Id != changeId)
            {
                // Finished meanwhile (by the sweep).
                return organisation is not null && approved ? await AnswerAsync(organisation, current, scope, cancellationToken) : null;
            }
            var next = current.FinishChange(approved, now) with { LastChangeId = changeId };
            var response = organisation is not null && approved ? Response(organisation, next) : null;
            if (await payments.TryWriteAsync(current, next, withEvent: approved, [response is null ? null : scope.Complete(response)], cancellationToken) is not null)
            {
                return response;
            }
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }

    private async Task<StoredResponse> AnswerAsync(Organisation organisation, PaymentTransaction t, IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var response = Response(organisation, t);
        if (scope.Complete(response) is { } completion) await store.CommitAsync([completion], cancellationToken);
        return response;
    }

    private static StoredResponse Response(Organisation organisation, PaymentTransaction t) =>
        StoredResponse.Ok(new PaymentResult("result", t.Status == TransactionStatus.Reversed ? "Transaction reversed" : "Transaction settled successfully",
            TransactionView.From(t, ApiTime.Zone(organisation.TimeZone))));
}
