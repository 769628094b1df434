using System.Net.Http.Json;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Gateway.Express;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Notifications;

/// <summary>
/// What a message is about: an express transaction's payment request, or a transaction's receipt. It names the
/// message in logs and to providers, where the text (perhaps a payable link) never goes.
/// </summary>
public sealed record NotificationAbout(long? ExpressId, long? TransactionId)
{
    public static NotificationAbout Express(long id) => new(id, null);

    public static NotificationAbout Receipt(long transactionId) => new(null, transactionId);

    public override string ToString() => ExpressId is { } id ? $"express-{id}" : $"receipt-{TransactionId}";
}

public sealed record SmsMessage(long OrganisationId, NotificationAbout About, string To, string Text);

public sealed record EmailMessage(long OrganisationId, NotificationAbout About, string To, string Subject, string Text,
    IReadOnlyList<ExpressFile> Attachments);

/// <summary>The boundary to an SMS provider. Throwing means "not sent": the queue message is retried, then poisoned.</summary>
public interface ISmsSender
{
    Task SendAsync(SmsMessage message, CancellationToken cancellationToken);
}

/// <summary>The boundary to an e-mail provider. Throwing means "not sent": the queue message is retried, then poisoned.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// The default, for development and test organisations: nothing leaves the gateway; each message is kept in the
/// Notifications table, readable by the organisation's administrators through the API. One row per express
/// transaction and channel (per receipt, transaction, channel and recipient), so a redelivered message replaces its
/// earlier copy instead of adding another.
/// </summary>
public sealed class LocalNotificationStore(GatewayTables tables, TimeProvider time) : ISmsSender, IEmailSender
{
    public Task SendAsync(SmsMessage message, CancellationToken cancellationToken) =>
        StoreAsync(message.OrganisationId, message.About, "sms", message.To, null, message.Text, [], cancellationToken);

    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken) =>
        StoreAsync(message.OrganisationId, message.About, "email", message.To, message.Subject, message.Text, message.Attachments, cancellationToken);

    /// <summary>Attachments are described (name, type, size), not kept: the API shows what would have been attached.</summary>
    private Task StoreAsync(long organisationId, NotificationAbout about, string channel, string to, string? subject, string text,
        IReadOnlyList<ExpressFile> attachments, CancellationToken cancellationToken) =>
        tables.Notifications.UpsertAsync(new TableEntity(PaymentRows.Partition(organisationId), RowKey(about, channel, to))
        {
            ["Channel"] = channel, ["To"] = to, ["Subject"] = subject, ["Text"] = text, ["Sent"] = time.GetUtcNow(),
            ["ExpressId"] = about.ExpressId, ["TransactionId"] = about.TransactionId,
            ["Attachments"] = JsonSerializer.Serialize(attachments.Select(a => new AttachmentResponse(a.Name, a.ContentType, a.Content.Length)), Api.ApiJson.Options),
        }, cancellationToken);

    /// <summary>A receipt may go to several recipients: its row names the recipient by a hash (row keys show in logs).</summary>
    private static string RowKey(NotificationAbout about, string channel, string to) => about.ExpressId is { } id
        ? $"ntf-{id:D12}-{channel}"
        : $"ntf-rcpt-{about.TransactionId:D12}-{channel}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(to)))[..16]}";

    /// <summary>The organisation's kept messages, newest first, at most <paramref name="max"/>, with times in its zone.</summary>
    public async Task<NotificationResponse[]> ListAsync(long organisationId, int max, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in tables.Notifications.QueryAsync<TableEntity>(TableFilters.Partition(PaymentRows.Partition(organisationId)),
            cancellationToken: cancellationToken))
        {
            rows.Add(e);
        }
        return [.. rows.OrderByDescending(e => e.GetDateTimeOffset("Sent")).ThenByDescending(e => e.RowKey, StringComparer.Ordinal)
            .Take(max).Select(e => new NotificationResponse(
            e.GetString("Channel"), e.GetString("To"), e.GetString("Subject"), e.GetString("Text"), e.GetInt64("ExpressId"),
            e.GetInt64("TransactionId"),
            ApiTime.Show(e.GetDateTimeOffset("Sent")!.Value, zone),
            JsonSerializer.Deserialize<AttachmentResponse[]>(e.GetString("Attachments") ?? "[]", Api.ApiJson.Options)!))];
    }
}

/// <summary>
/// An HTTP SMS gateway: POSTs <c>{"to", "message", "reference"}</c> as JSON with a bearer token. Only a 2xx is
/// success; redirects are not followed (a redirect could carry the token elsewhere).
/// </summary>
public sealed class HttpSmsSender(IHttpClientFactory clients, IOptions<NotificationOptions> options) : ISmsSender
{
    public const string HttpClientName = "sms-gateway";

    public async Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value.Sms;
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = JsonContent.Create(new { to = message.To, message = message.Text, reference = message.About.ToString() }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The SMS gateway answered {(int)response.StatusCode}.", null, response.StatusCode);
        }
    }
}

/// <summary>
/// An SMTP relay, through <see cref="SmtpClient"/>: plain text UTF-8 with the attachments. A refusal or timeout
/// throws, and the queue retries the message.
/// </summary>
public sealed class SmtpEmailSender(IOptions<NotificationOptions> options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Value.Email.Smtp;
        using var mail = new MailMessage(new MailAddress(smtp.From!), new MailAddress(message.To))
        {
            Subject = message.Subject, SubjectEncoding = Encoding.UTF8, Body = message.Text, BodyEncoding = Encoding.UTF8,
            // Readable on the wire and in tests; the links are ASCII, so they survive unbroken but for soft line breaks.
            BodyTransferEncoding = System.Net.Mime.TransferEncoding.QuotedPrintable,
        };
        foreach (var file in message.Attachments) mail.Attachments.Add(new Attachment(new MemoryStream(file.Content), file.Name, file.ContentType));
        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.EnableSsl, DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = (int)smtp.Timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(smtp.Username)) client.Credentials = new NetworkCredential(smtp.Username, smtp.Password);
        await client.SendMailAsync(mail, cancellationToken);
    }
}
