using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
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
/// Where a request's Idempotency-Key record is kept: in the partition of the change it commits with. Changes of a
/// transaction keep it in the transaction's shard; card payments, spread over the organisation's partitions, in the
/// shard the key hashes to (the new transaction is made there); everything else in the home partition. A key is
/// therefore checked against the requests of its place: a retry (the same request) always meets its record, but a
/// key reused for another transaction's refund, or for a payment and a payment key, is not refused with 422 when
/// the two places differ.
/// </summary>
public abstract record IdempotencyPlace
{
    public static readonly IdempotencyPlace Home = new Fixed(0);

    public static IdempotencyPlace Transaction(long transactionId) => new Fixed(PaymentRows.Shard(transactionId));

    public static IdempotencyPlace Spread(PaymentPartitions partitions) => new Spreading(partitions);

    /// <summary>
    /// The shards a record of this key may be in: a new hold goes in the first. More than one only in the
    /// <paramref name="window"/> (a record's lifetime) after the organisation's partition count was raised.
    /// </summary>
    internal abstract IReadOnlyList<int> Shards(string key, DateTimeOffset now, TimeSpan window);

    /// <summary>The shard a card payment's key is held in while the organisation spreads over <paramref name="partitions"/>.</summary>
    public static int KeyShard(string key, int partitions) => (int)(KeyHash(key) % (ulong)partitions);

    private static ulong KeyHash(string key) =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private sealed record Fixed(int Shard) : IdempotencyPlace
    {
        internal override IReadOnlyList<int> Shards(string key, DateTimeOffset now, TimeSpan window) => [Shard];
    }

    private sealed record Spreading(PaymentPartitions Partitions) : IdempotencyPlace
    {
        internal override IReadOnlyList<int> Shards(string key, DateTimeOffset now, TimeSpan window)
        {
            // The count in effect first; then a raise not yet in effect (requests after it will hold the key where the
            // new count puts it), and the counts of records that may still be retried.
            var counts = new[] { Partitions.EffectiveAt(now), Partitions.Count }
                .Concat(Partitions.Before.Where(e => e.Until > now - window).Select(e => e.Count));
            return [.. counts.Select(count => KeyShard(key, count)).Distinct()];
        }
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
        RunAsync(http, ReadKey(http), organisationId, IdempotencyPlace.Home, form, operation, cancellationToken);

    public Task<IResult> RunAsync(HttpContext http, long organisationId, IdempotencyPlace place, RequestForm form,
        Func<IdempotencyScope, Task<StoredResponse>> operation, CancellationToken cancellationToken) =>
        RunAsync(http, ReadKey(http), organisationId, place, form, operation, cancellationToken);

    /// <summary>
    /// With the key given rather than read from the header: a console form carries one, made when the form was shown,
    /// so a double click or a re-post of the same form acts once.
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext http, string? key, long organisationId, IdempotencyPlace place,
        RequestForm form, Func<IdempotencyScope, Task<StoredResponse>> operation, CancellationToken cancellationToken)
    {
        if (key is null) return (await operation(IdempotencyScope.None)).ToResult(replayed: false);

        // The CVV is left out and a card number cut to its first six and last four: neither may be kept in any form,
        // not even as a keyed hash that a holder of the key could brute-force (the stored card shows the other digits
        // but the middle six, and Luhn leaves about 10^5 candidates for those). A retry differing only in those digits
        // is, for this check, the same request.
        // The credential (a token parameter) is not part of the request either: a retry may carry a fresh one.
        var canonical = form.Canonical(["cvv", "token"], ["pan"], CutCardNumber);
        var fingerprint = secrets.Sign("idempotency", $"{http.Request.Method} {http.Request.Path}\n{canonical}");
        var (scope, replay) = await HoldAsync(organisationId, place, key, fingerprint, cancellationToken);
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

    /// <summary>
    /// Takes the key for this request, or finds the response to replay. 409 while another request holds it. When
    /// the key may be in several shards (just after a raise of the partition count), a new hold is checked against
    /// the others after it is written: of two requests holding the key in different shards at once, each writes
    /// before it checks, so at least the later one sees the other and lets go (both may: then both answer 409 and
    /// a retry decides). A record in another shard is never taken over while one in the first shard exists.
    /// </summary>
    private async Task<(IdempotencyScope? Scope, StoredResponse? Replay)> HoldAsync(
        long organisationId, IdempotencyPlace place, string key, string fingerprint, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = time.GetUtcNow();
            var shards = place.Shards(key, now, options.Value.IdempotencyRetention + options.Value.IdempotencyLease);
            var stored = await ReadAsync(organisationId, shards, key, cancellationToken);
            var records = stored.Where(r => r.Expires > now).ToList();
            foreach (var record in records)
            {
                if (record.Fingerprint != fingerprint)
                {
                    throw new ApiException(StatusCodes.Status422UnprocessableEntity,
                        $"This {Header} was already used for a different request; use a new key for a new request.");
                }
            }
            if (records.FirstOrDefault(r => r.State == "done") is { } done) return (null, new StoredResponse(done.Status!.Value, done.Body!));
            if (records.Any(r => r.LeaseUntil > now)) throw StillRunning();

            // New, expired, or abandoned by a crashed request: hold it. A takeover keeps the reserved id (and the
            // record's shard), so the acquirer recognises the same payment.
            var existing = records.FirstOrDefault();
            var shard = existing?.Shard ?? shards[0];
            var hold = new IdempotencyRecord(organisationId, key, "running", Guid.NewGuid().ToString("N"), fingerprint,
                now + options.Value.IdempotencyLease, now + options.Value.IdempotencyRetention,
                existing?.ReservedId ?? PaymentRows.NewTransactionId(await ids.NextAsync(PaymentService.TransactionSequence, cancellationToken), shard))
            {
                Shard = shard,
            };
            // The stored row, expired or not, is what the write replaces.
            var etag = await store.TryHoldAsync(hold, stored.FirstOrDefault(r => r.Shard == shard), cancellationToken);
            if (etag is null)
            {
                // A write whose answer was lost meets itself on the SDK's retry: recognise our own hold.
                var mine = await store.GetIdempotencyAsync(organisationId, shard, key, cancellationToken);
                if (mine is null || mine.Holder != hold.Holder) continue;
                etag = mine.ETag;
            }
            var held = hold with { ETag = etag.Value };
            if (shards.Count > 1 && (await ReadAsync(organisationId, shards.Where(s => s != shard), key, cancellationToken))
                    .Any(r => r.Expires > now && (r.State == "done" || r.LeaseUntil > now)))
            {
                await store.CommitAsync([new IdempotencyScope(held).Release(now)], CancellationToken.None);
                throw StillRunning();
            }
            return (new IdempotencyScope(held), null);
        }
        throw StillRunning();
    }

    /// <summary>The key's records in these shards (expired ones too), read in parallel, those of the first shards first.</summary>
    private async Task<List<IdempotencyRecord>> ReadAsync(long organisationId, IEnumerable<int> shards, string key,
        CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(shards.Select(s => store.GetIdempotencyAsync(organisationId, s, key, cancellationToken)));
        return [.. found.OfType<IdempotencyRecord>()];
    }

    private static ApiException StillRunning() =>
        ApiException.Conflict($"A request with this {Header} is still being processed; retry after it finishes.");
}
