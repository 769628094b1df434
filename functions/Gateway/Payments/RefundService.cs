using System.Globalization;
using Azure.Data.Tables;
using Gateway.Identity;

namespace Gateway.Payments;

/// <summary>
/// Refunds, in three steps so that concurrent refunds can never return more than was settled: reserve the amount on
/// the transaction (an ETag-checked write), ask the acquirer, then book it with a ledger row (or release it when
/// refused). A refund left in flight (its process died, or the acquirer did not answer) is finished by
/// <see cref="PaymentSweep"/>, which asks the acquirer again with the same idempotency key; a client's retry with the
/// same Idempotency-Key either finishes it the same way or finds it booked.
/// </summary>
/// <remarks>
/// A reservation's time is real (the sweep's grace is a platform limit); the booking's stamps follow the organisation's
/// clock, like every stamp merchants see.
/// </remarks>
public sealed class RefundService(PaymentStore store, PaymentService payments, AcquirerRouter acquirers, OrganisationClock clock, TimeProvider time)
{
    public async Task<StoredResponse> RefundAsync(Organisation organisation, long id, long? amountMinor, IdempotencyScope scope, CancellationToken cancellationToken)
    {
        var answer = StoredResponse.Ok(new RefundResult(true));
        // With an Idempotency-Key the refund's id is the key's reserved id, so a retry is the same refund.
        var refundId = scope.ReservedId?.ToString(CultureInfo.InvariantCulture) ?? Guid.NewGuid().ToString("N");
        if (scope.ReservedId is not null && await store.HasRefundAsync(organisation.Id, id, refundId, cancellationToken))
        {
            await CompleteAsync(scope, answer, cancellationToken);
            return answer;
        }

        PaymentTransaction? held = null;
        for (var attempt = 0; held is null; attempt++)
        {
            if (attempt == PaymentService.MaxAttempts) throw IdentityStore.Busy();
            var current = await store.GetAsync(organisation.Id, id, cancellationToken) ?? throw PaymentService.TransactionNotFound();
            var reserving = current.ReserveRefund(refundId, amountMinor ?? current.RefundableMinor, time.GetUtcNow());
            held = ReferenceEquals(reserving, current) ? current : await payments.TryWriteAsync(current, reserving, withEvent: false, [], cancellationToken);
            if (held is null) await PaymentService.Contended(attempt, cancellationToken);
        }

        // If the acquirer does not answer (502), the outcome is unknown: the reservation stays, and the sweep or a
        // retry with the same Idempotency-Key asks again under the same key. Releasing it could refund twice.
        var result = await AskAsync(held, held.RefundsInFlight.Single(r => r.Id == refundId), cancellationToken);
        await FinishAsync(held, refundId, result.Approved, result.Approved ? scope : IdempotencyScope.None, answer, organisation.Now(time), cancellationToken);
        return result.Approved ? answer : throw Api.ApiException.Conflict($"The acquirer refused the refund: {result.ResponseText}.");
    }

    /// <summary>For the sweep: asks the acquirer again about a refund left in flight and books or releases it.</summary>
    public async Task ResolveAsync(PaymentTransaction transaction, RefundInFlight refund, CancellationToken cancellationToken)
    {
        var result = await AskAsync(transaction, refund, cancellationToken);
        await FinishAsync(transaction, refund.Id, result.Approved, IdempotencyScope.None, null,
            await clock.NowAsync(transaction.OrganisationId, cancellationToken), cancellationToken);
    }

    private Task<AcquirerResult> AskAsync(PaymentTransaction transaction, RefundInFlight refund, CancellationToken cancellationToken) =>
        PaymentService.CallAsync(() => acquirers.For(transaction.IsDemo).RefundAsync(
            transaction.AcquirerReference!, refund.AmountMinor, $"refund-{transaction.Id}-{refund.Id}", cancellationToken));

    /// <summary>Books or releases the refund, starting from <paramref name="known"/> (as last read or written) and re-reading after a lost race.</summary>
    private async Task FinishAsync(PaymentTransaction known, string refundId, bool approved, IdempotencyScope scope,
        StoredResponse? answer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < PaymentService.MaxAttempts; attempt++)
        {
            var current = attempt == 0 ? known
                : await store.GetAsync(known.OrganisationId, known.Id, cancellationToken) ?? throw PaymentService.TransactionNotFound();
            var next = current.FinishRefund(refundId, approved, now);
            if (ReferenceEquals(next, current))
            {
                // Finished meanwhile (by the sweep): only the response is left to keep.
                if (answer is not null) await CompleteAsync(scope, answer, cancellationToken);
                return;
            }
            var booked = current.RefundsInFlight.Single(r => r.Id == refundId);
            TableTransactionAction? ledger = approved ? PaymentStore.RefundRow(current, booked, now) : null;
            if (await payments.TryWriteAsync(current, next, withEvent: approved, [ledger, answer is null ? null : scope.Complete(answer)], cancellationToken) is not null) return;
            await PaymentService.Contended(attempt, cancellationToken);
        }
        throw IdentityStore.Busy();
    }

    private async Task CompleteAsync(IdempotencyScope scope, StoredResponse answer, CancellationToken cancellationToken)
    {
        if (scope.Complete(answer) is { } completion) await store.CommitAsync([completion], cancellationToken);
    }
}
