using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Gateway.Codes;
using Gateway.Express;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Gateway.Notifications;

/// <summary>A notifications queue message: an express payment request to send, or a receipt.</summary>
public abstract record NotificationWork(long OrganisationId);

public sealed record ExpressNotice(long OrganisationId, long ExpressId) : NotificationWork(OrganisationId);

public sealed record ReceiptNotice(long OrganisationId, long TransactionId, string Channel, string Recipient)
    : NotificationWork(OrganisationId);

public sealed record CodePaidWork(long OrganisationId, long TransactionId, string Code) : NotificationWork(OrganisationId);

/// <summary>
/// The notifications queue (<c>Notifications:Queue</c>). An express message names its transaction, never its link:
/// queue contents show up in storage tools and poison queues, and a link is a bearer URL that pays. A receipt message
/// carries its recipient, which exists nowhere else.
/// </summary>
public sealed class NotificationQueue(QueueServiceClient queues, IOptions<NotificationOptions> options)
    : IExpressNotifications, ICodeNotifications
{
    public QueueClient Queue { get; } = queues.GetQueueClient(options.Value.Queue);

    /// <summary>How long a message stays invisible so that the create which queued it can commit first.</summary>
    public static readonly TimeSpan CommitGrace = TimeSpan.FromSeconds(1);

    public Task EnqueueAsync(long organisationId, long expressId, CancellationToken cancellationToken) =>
        Queue.SendMessageAsync(JsonSerializer.Serialize(new { organisation_id = organisationId, express_id = expressId }), CommitGrace,
            cancellationToken: cancellationToken);

    /// <summary>A receipt has nothing to commit first: the transaction it is about is already decided.</summary>
    public Task EnqueueAsync(ReceiptNotice receipt, CancellationToken cancellationToken) =>
        Queue.SendMessageAsync(JsonSerializer.Serialize(new
        {
            organisation_id = receipt.OrganisationId,
            receipt = new { transaction_id = receipt.TransactionId, channel = receipt.Channel, recipient = receipt.Recipient },
        }), cancellationToken);

    /// <summary>The code's payment is committed: its notice can go at once.</summary>
    public Task EnqueueAsync(CodePaidNotice notice, CancellationToken cancellationToken) =>
        Queue.SendMessageAsync(JsonSerializer.Serialize(new
        {
            organisation_id = notice.OrganisationId,
            code_paid = new { transaction_id = notice.TransactionId, code = notice.Code },
        }), cancellationToken);

    public static NotificationWork Parse(string body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            var organisationId = root.GetProperty("organisation_id").GetInt64();
            if (root.TryGetProperty("code_paid", out var paid))
            {
                return new CodePaidWork(organisationId, paid.GetProperty("transaction_id").GetInt64(),
                    paid.GetProperty("code").GetString() ?? throw new FormatException("A code notice needs its code."));
            }
            if (!root.TryGetProperty("receipt", out var receipt))
            {
                return new ExpressNotice(organisationId, root.GetProperty("express_id").GetInt64());
            }
            var channel = receipt.GetProperty("channel").GetString();
            if (channel is not (ExpressChannels.Sms or ExpressChannels.Email)) throw new FormatException("Unknown channel.");
            return new ReceiptNotice(organisationId, receipt.GetProperty("transaction_id").GetInt64(), channel,
                receipt.GetProperty("recipient").GetString() ?? throw new FormatException("A receipt needs its recipient."));
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // Thrown on: a message that can never be read ends in the poison queue for someone to look at.
            throw new FormatException("A notifications message must be {\"organisation_id\": n, \"express_id\": n}, " +
                "{\"organisation_id\": n, \"receipt\": {\"transaction_id\": n, \"channel\", \"recipient\"}} or " +
                "{\"organisation_id\": n, \"code_paid\": {\"transaction_id\": n, \"code\"}}.", error);
        }
    }
}

/// <summary>
/// Sends the SMS or e-mail of an express transaction. Delivery is at least once: a failed send throws, so the
/// message comes back (host.json: visibility timeout, max dequeue count, then <c>notifications-poison</c>); a
/// send whose "notified" mark was lost may be sent again. Cancelled or expired links are not sent.
/// </summary>
public sealed class NotificationSender(ExpressStore store, ExpressFileStore files, ExpressService express, IdentityStore identity,
    ReceiptSender receipts, CodePaidSender codeNotices, ISmsSender sms, IEmailSender email, TimeProvider time, ILogger<NotificationSender> logger)
{
    [Function(nameof(NotificationSender))]
    public async Task Run(
        [QueueTrigger("%Notifications:Queue%", Connection = "AzureWebJobsStorage")] string message,
        CancellationToken cancellationToken)
    {
        var work = NotificationQueue.Parse(message);
        if (work is ReceiptNotice receipt) await receipts.SendAsync(receipt, cancellationToken);
        if (work is CodePaidWork paid) await codeNotices.SendAsync(paid, cancellationToken);
        if (work is ExpressNotice(var organisationId, var expressId)) await SendExpressAsync(organisationId, expressId, cancellationToken);
    }

    private async Task SendExpressAsync(long organisationId, long expressId, CancellationToken cancellationToken)
    {
        // Thrown, not skipped: the create queues its message before it commits (see ExpressService.CreateAsync), so
        // the row may still be on its way; a create that never committed ends in the poison queue.
        var link = await store.GetAsync(organisationId, expressId, cancellationToken)
            ?? throw new InvalidOperationException($"Express transaction {expressId} of organisation {organisationId} is not committed (yet).");
        var skip = link.Notified is not null ? "already sent" : link.Status == ExpressStatuses.Cancelled ? "cancelled" : null;
        var organisation = skip is not null ? null : await identity.GetOrganisationAsync(organisationId, cancellationToken)
            ?? throw new InvalidOperationException($"Organisation {organisationId} of express transaction {expressId} does not exist.");
        // Expired by the organisation's time, which its test clock may hold anywhere, like the link page judges it.
        if (organisation is null || organisation.Now(time) >= link.Expires)
        {
            logger.LogInformation("Nothing to send for express transaction {ExpressId} of organisation {OrganisationId} ({State})",
                expressId, organisationId, skip ?? "expired");
            return;
        }

        var amount = Money.Display(link.AmountMinor, link.Currency);
        var until = ApiTime.Show(link.Expires, organisation.TimeZone);
        var url = express.LinkUrl(link);
        if (link.Channel == ExpressChannels.Sms)
        {
            await sms.SendAsync(new SmsMessage(organisationId, NotificationAbout.Express(link.Id), link.Recipient,
                $"{organisation.Name} requests {amount} (ref {link.Reference}). Pay securely: {url} (valid until {until})"), cancellationToken);
        }
        else
        {
            await email.SendAsync(new EmailMessage(organisationId, NotificationAbout.Express(link.Id), link.Recipient, $"Payment request from {organisation.Name}",
                string.Create(CultureInfo.InvariantCulture, $"""
                    Hello,

                    {organisation.Name} has asked you to pay {amount} (reference {link.Reference}).

                    Pay securely here: {url}

                    The link can be used until {until}.
                    """), await files.LoadAsync(organisationId, link.Id, cancellationToken)), cancellationToken);
        }
        await MarkNotifiedAsync(link, organisation.Now(time), cancellationToken);
        if (link.Channel == ExpressChannels.Email) await DeleteFilesAsync(link);
        logger.LogInformation("Sent the {Channel} notification of express transaction {ExpressId}", link.Channel, link.Id);
    }

    /// <summary>After the mark: a failure here must not send the e-mail again, so it is only logged (the rows stay).</summary>
    private async Task DeleteFilesAsync(ExpressLink link)
    {
        try
        {
            await files.DeleteAsync(link.OrganisationId, link.Id, CancellationToken.None);
        }
        catch (Exception error) when (error is RequestFailedException || StorageFaults.IsUnavailable(error))
        {
            logger.LogWarning(error, "The attachments of express transaction {ExpressId} were sent but not deleted", link.Id);
        }
    }

    /// <summary>A lost race (the link was cancelled meanwhile) needs no mark: the row is read again before any resend.</summary>
    private async Task MarkNotifiedAsync(ExpressLink link, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5 && link is { Notified: null }; attempt++)
        {
            if (await store.TryReplaceAsync(link with { Notified = now }, cancellationToken)) return;
            link = (await store.GetAsync(link.OrganisationId, link.Id, cancellationToken))!;
        }
    }
}
