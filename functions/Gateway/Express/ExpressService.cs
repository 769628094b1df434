using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Express;

/// <summary>What a merchant asked for, checked: whom to send the link to and what it pays.</summary>
public sealed record ExpressRequest(string Channel, string Recipient, long AmountMinor, string? Reference, DateTimeOffset Expires)
{
    public IReadOnlyList<ExpressFile> Files { get; init; } = [];
}

/// <summary>
/// Express (pay-by-link) transactions. Creating one writes an ordinary payment key and the express row together, then
/// queues its notification; the link opens the hosted page of the key, so paying through it is an ordinary hosted
/// payment with its transaction and events. Cancelling marks the key cancelled in the same ETag-checked batch as the
/// express row, so a cancel and a payment racing for the key cannot both win.
/// </summary>
public sealed class ExpressService(ExpressStore store, ExpressFileStore files, PaymentStore payments, IdAllocator ids,
    IExpressNotifications notifications, AcquirerRouter acquirers, TimeProvider time, IOptions<PaymentOptions> options)
{
    public const string IdSequence = "express";

    /// <summary>Links are bearer URLs: 72 random bits, 12 characters of base64url, short enough for an SMS.</summary>
    public const int CodeLength = 12;

    /// <summary>The organisation's time (its test clock, if set): a link's expiry and stamps follow it.</summary>
    public DateTimeOffset Now(Organisation organisation) => organisation.Now(time);

    public string LinkUrl(ExpressLink link) => $"{options.Value.BaseUri.GetLeftPart(UriPartial.Authority)}/u/{link.Code}";

    public async Task<StoredResponse> CreateAsync(Caller caller, Organisation organisation, ExpressRequest request, IdempotencyScope scope,
        Func<ExpressLink, StoredResponse> respond, CancellationToken cancellationToken)
    {
        acquirers.RefuseUnavailable(organisation);
        var id = await ids.NextAsync(IdSequence, cancellationToken);
        var now = Now(organisation);
        var key = new PaymentKey
        {
            Key = Secrets.Hex(16), OrganisationId = organisation.Id, UserId = caller.User?.Id, Username = caller.User?.Username,
            AmountMinor = request.AmountMinor, Currency = organisation.Currency, MerchantReference = request.Reference ?? $"express-{id}",
            IsDemo = organisation.Mode == OrganisationModes.Test, Created = now, Expires = request.Expires,
        };
        var link = new ExpressLink
        {
            Id = id, OrganisationId = organisation.Id, Code = Secrets.Base64Url(9), PaymentKey = key.Key, Channel = request.Channel,
            Recipient = request.Recipient, Reference = key.MerchantReference, AmountMinor = key.AmountMinor, Currency = key.Currency,
            Created = now, Expires = request.Expires,
        };
        var response = respond(link);
        await store.AddLookupAsync(link.Code, organisation.Id, id, cancellationToken);
        if (request.Files.Count > 0) await files.SaveAsync(organisation.Id, id, request.Files, cancellationToken);
        // Queued before the commit, so that no link exists without its message: a failed enqueue fails the request
        // with nothing created. The message waits out a grace period for the commit; a sender that still finds no
        // row retries, and the message of a create that never committed ends in the poison queue.
        await notifications.EnqueueAsync(organisation.Id, id, cancellationToken);
        await payments.CreateKeyAsync(key, [ExpressStore.Insert(link), ExpressStore.ReferenceIndex(link), scope.Complete(response)], cancellationToken);
        return response;
    }

    /// <summary>Cancels by id or by reference (the newest with it). Cancelling again answers the same.</summary>
    public async Task<ExpressLink> CancelAsync(long organisationId, long? id, string? reference, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var link = id is { } i ? await store.GetAsync(organisationId, i, cancellationToken)
                : await store.FindByReferenceAsync(organisationId, reference!, cancellationToken);
            if (link is null) throw NotFound();
            if (link.Status == ExpressStatuses.Cancelled) return link;

            var key = await payments.GetKeyAsync(organisationId, link.PaymentKey, cancellationToken)
                ?? throw new InvalidOperationException($"Express transaction {link.Id} has no payment key.");
            if (key.State == PaymentKeyStates.Paid) throw ApiException.Conflict("This express transaction has been paid and cannot be cancelled.");
            // A hold whose attempt has no decided transaction yet may still commit a payment, so it is never cut
            // short; once its transaction is decided (e.g. an abandoned 3-D Secure challenge failed), it is over.
            if (key.State == PaymentKeyStates.Processing
                && (key.TransactionId is not { } attemptId
                    || await payments.GetAsync(organisationId, attemptId, cancellationToken) is not { Status: not TransactionStatus.Pending }))
            {
                throw ApiException.Conflict("A payment through this link is in progress; try again once it has finished.");
            }
            var cancelledKey = key with { State = PaymentKeyStates.Cancelled, HeldUntil = null, WriteId = Guid.NewGuid().ToString("N") };
            var cancelled = link with { Status = ExpressStatuses.Cancelled };
            if (await payments.CommitAsync([PaymentStore.KeyChange(cancelledKey, key.ETag), ExpressStore.Replace(cancelled)], cancellationToken))
            {
                return cancelled;
            }
            // 412: a payment attempt or another cancel changed the key or the row (or this write landed and its answer
            // was lost); read again and decide from what is there now.
        }
        throw IdentityStore.Busy();
    }

    /// <summary>The link of a code with its payment key, or null for a code that names nothing.</summary>
    public async Task<(ExpressLink Link, PaymentKey Key)?> OpenAsync(string code, CancellationToken cancellationToken)
    {
        if (code.Length != CodeLength || !code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return null;
        if (await store.LookupAsync(code, cancellationToken) is not { } found) return null;
        var link = await store.GetAsync(found.OrganisationId, found.ExpressId, cancellationToken);
        var key = link is null ? null : await payments.GetKeyAsync(link.OrganisationId, link.PaymentKey, cancellationToken);
        return link is null || key is null || link.Code != code ? null : (link, key);
    }

    public static ApiException NotFound() => ApiException.NotFound("Express transaction not found.");
}
