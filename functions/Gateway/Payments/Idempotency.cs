using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Payments;

/// <summary>A response as sent, kept so that a retry with the same Idempotency-Key gets exactly the same bytes.</summary>
public sealed record StoredResponse(int Status, string Json)
{
    public static StoredResponse Ok<T>(T body) => new(StatusCodes.Status200OK, JsonSerializer.Serialize(body, ApiJson.Options));

    public static StoredResponse Created<T>(T body) => new(StatusCodes.Status201Created, JsonSerializer.Serialize(body, ApiJson.Options));

    public IResult ToResult(bool replayed)
    {
        return new Written(this, replayed);
    }

    private sealed class Written(StoredResponse response, bool replayed) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = response.Status;
            if (replayed) context.Response.Headers[Idempotency.ReplayedHeader] = "true";
            context.Response.ContentType = "application/json; charset=utf-8";
            return context.Response.WriteAsync(response.Json, Encoding.UTF8);
        }
    }
}

/// <summary>
/// The request's hold on its Idempotency-Key. The operation adds <see cref="Complete"/> to the same entity-group
/// transaction as its change, so the change and the response kept for retries are written together or not at all;
/// and since that write checks the record's ETag, a request whose hold was taken over after a crash cannot commit.
/// </summary>
public sealed class IdempotencyScope
{
    public static readonly IdempotencyScope None = new(null);
    private readonly IdempotencyRecord? _hold;

    internal IdempotencyScope(IdempotencyRecord? hold) => _hold = hold;

    internal bool Completed { get; private set; }

    /// <summary>The transaction id this request uses; the same on a takeover, so the acquirer sees the same idempotency key.</summary>
    public long? ReservedId => _hold?.ReservedId;

    /// <summary>
    /// Lets a retry take the key over at once. The record stays, with its reserved id: the retry then uses the same
    /// transaction or refund id, so an acquirer that did act on the first attempt recognises the second.
    /// </summary>
    internal TableTransactionAction Release(DateTimeOffset now) => PaymentStore.IdempotencyChange(_hold! with { LeaseUntil = now });

    public TableTransactionAction? Complete(StoredResponse response)
    {
        Completed = true;
        return _hold is null
            ? null
            : PaymentStore.IdempotencyChange(_hold with { State = "done", Holder = null, LeaseUntil = null, Status = response.Status, Body = response.Json });
    }
}

/// <summary>
/// <c>Idempotency-Key</c> on requests that create payment keys or move money. The first request holds the key
/// (an insert, so only one can), runs, and keeps its response for <see cref="PaymentOptions.IdempotencyRetention"/>.
/// A retry with the same body replays that response (with <c>Idempotent-Replayed: true</c>); with another body it
/// gets 422; while the first is still running, 409. 4xx answers other than 409 and 429 are kept like successes
/// (they would be the same again); 409, 429 and failures release the key so the same request can be retried.
/// </summary>
public sealed class Idempotency(PaymentStore store, IdAllocator ids, PaymentSecrets secrets, TimeProvider time, IOptions<PaymentOptions> options)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private const int MaxKeyLength = 255;

    private static string CutCardNumber(string text) => text.Length <= 4
        ? text
        : $"{text[..CardDetails.VisibleStart(text.Length)]}*{text.Length}*{text[^4..]}";

    public Task<IResult> RunAsync(HttpContext http, long organisationId, RequestForm form,
        Func<IdempotencyScope, Task<StoredResponse>> operation, CancellationToken cancellationToken) =>
        RunAsync(http, ReadKey(http), organisationId, form, operation, cancellationToken);

    /// <summary>
    /// With the key given rather than read from the header: a console form carries one, made when the form was shown,
    /// so a double click or a re-post of the same form acts once.
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext http, string? key, long organisationId, RequestForm form,
        Func<IdempotencyScope, Task<StoredResponse>> operation, CancellationToken cancellationToken)
    {
        if (key is null) return (await operation(IdempotencyScope.None)).ToResult(replayed: false);

        // The CVV is left out and a card number cut to its first six and last four: neither may be kept in any form,
        // not even as a keyed hash that a holder of the key could brute-force (the stored card shows the other digits
        // but the middle six, and Luhn leaves about 10^5 candidates for those). A retry differing only in those digits
        // is, for this check, the same request.
        // The credential (a token parameter) is not part of the request either: a retry may carry a fresh one.
        var canonical = form.Canonical(["cvv", "token"], ["pan"], CutCardNumber);
        var fingerprint = secrets.Sign("idempotency", $"{http.Request.Method} {http.Request.Path}\n{canonical}");
        var (scope, replay) = await HoldAsync(organisationId, key, fingerprint, cancellationToken);
        if (replay is not null) return replay.ToResult(replayed: true);

        try
        {
            var response = await operation(scope!);
            if (!scope!.Completed) throw new InvalidOperationException("An idempotent operation committed without completing its idempotency record.");
            return response.ToResult(replayed: false);
        }
        // Both writes below check the hold's ETag, so they change nothing if the operation did commit.
        catch (ApiException error) when (error.Status is >= 400 and < 500 and not 409 and not 429)
        {
            var response = new StoredResponse(error.Status, JsonSerializer.Serialize(ApiError.For(error.Status, error.Message), ApiJson.Options));
            await store.CommitAsync([scope!.Complete(response)], CancellationToken.None);
            throw;
        }
        catch (Exception)
        {
            // Let the client's retry run the request again. A lost release only means the retry waits out the lease.
            await store.CommitAsync([scope!.Release(time.GetUtcNow())], CancellationToken.None);
            throw;
        }
    }

    private static string? ReadKey(HttpContext http)
    {
        if (!http.Request.Headers.TryGetValue(Header, out var values)) return null;
        if (values.Count != 1) throw ApiException.BadRequest(Header, "must be sent once.");
        var key = values[0] ?? "";
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < '!' or > '~'))
        {
            throw ApiException.BadRequest(Header, $"must be 1 to {MaxKeyLength} printable ASCII characters without spaces, e.g. a UUID.");
        }
        return key;
    }

    /// <summary>Takes the key for this request, or finds the response to replay. 409 while another request holds it.</summary>
    private async Task<(IdempotencyScope? Scope, StoredResponse? Replay)> HoldAsync(
        long organisationId, string key, string fingerprint, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = time.GetUtcNow();
            var existing = await store.GetIdempotencyAsync(organisationId, key, cancellationToken);
            var expired = existing is not null && existing.Expires <= now;
            if (existing is not null && !expired)
            {
                if (existing.Fingerprint != fingerprint)
                {
                    throw new ApiException(StatusCodes.Status422UnprocessableEntity,
                        $"This {Header} was already used for a different request; use a new key for a new request.");
                }
                if (existing.State == "done") return (null, new StoredResponse(existing.Status!.Value, existing.Body!));
                if (existing.LeaseUntil > now)
                {
                    throw ApiException.Conflict($"A request with this {Header} is still being processed; retry after it finishes.");
                }
            }

            // New, expired, or abandoned by a crashed request: hold it. A takeover keeps the reserved id, so the
            // acquirer recognises the same payment.
            var hold = new IdempotencyRecord(organisationId, key, "running", Guid.NewGuid().ToString("N"), fingerprint,
                now + options.Value.IdempotencyLease, now + options.Value.IdempotencyRetention,
                existing is not null && !expired ? existing.ReservedId : await ids.NextAsync(PaymentService.TransactionSequence, cancellationToken));
            var etag = await store.TryHoldAsync(hold, existing, cancellationToken);
            if (etag is null)
            {
                // A write whose answer was lost meets itself on the SDK's retry: recognise our own hold.
                var mine = await store.GetIdempotencyAsync(organisationId, key, cancellationToken);
                if (mine is null || mine.Holder != hold.Holder) continue;
                etag = mine.ETag;
            }
            return (new IdempotencyScope(hold with { ETag = etag.Value }), null);
        }
        throw ApiException.Conflict($"A request with this {Header} is still being processed; retry after it finishes.");
    }
}
