using System.Globalization;
using Gateway.Express;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Notifications;

/// <summary>
/// Sends a transaction's receipt (queued by <see cref="ReceiptsApi"/>) with the organisation's templates. At least
/// once, like every notification: a failed send throws and the message comes back, then goes to the poison queue.
/// </summary>
public sealed class ReceiptSender(PaymentStore payments, IdentityStore identity, ISmsSender sms, IEmailSender email,
    ILogger<ReceiptSender> logger)
{
    public async Task SendAsync(ReceiptNotice receipt, CancellationToken cancellationToken)
    {
        var (organisationId, transactionId, channel, recipient) = receipt;
        var organisation = await identity.GetOrganisationAsync(organisationId, cancellationToken)
            ?? throw new InvalidOperationException($"Organisation {organisationId} of receipt {transactionId} does not exist.");
        var transaction = await payments.GetAsync(organisationId, transactionId, cancellationToken)
            ?? throw new InvalidOperationException($"Transaction {transactionId} of organisation {organisationId} does not exist.");
        // Checked when asked and again here: a receipt says "paid", so it never goes out for a payment that is not.
        if (!transaction.Successful)
        {
            logger.LogWarning("Receipt of transaction {TransactionId} not sent: it is {Status}", transactionId, transaction.Status);
            return;
        }

        var values = Values(organisation, transaction);
        var about = NotificationAbout.Receipt(transaction.Id);
        var templates = organisation.Receipts;
        if (channel == ExpressChannels.Sms)
        {
            var text = ReceiptTemplates.Render(templates.SmsText, values);
            await sms.SendAsync(new SmsMessage(organisationId, about, recipient, text), cancellationToken);
        }
        else
        {
            var subject = ReceiptTemplates.Render(templates.EmailSubjectText, values);
            var body = ReceiptTemplates.Render(templates.EmailBodyText, values);
            await email.SendAsync(new EmailMessage(organisationId, about, recipient, subject, body, []), cancellationToken);
        }
        logger.LogInformation("Sent the {Channel} receipt of transaction {TransactionId}", channel, transactionId);
    }

    /// <summary>
    /// The placeholders' values (<see cref="ReceiptTemplates.Placeholders"/>); a card shows only its last four digits.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Values(Organisation organisation, PaymentTransaction t)
    {
        var card = t.Response["card"]?.GetValue<string>();
        var brand = t.Response["cardName"]?.GetValue<string>();
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["merchantName"] = organisation.Name,
            ["amount"] = Money.Display(t.ShownAmountMinor, t.Currency),
            ["reference"] = t.MerchantReference,
            ["transactionId"] = t.Id.ToString(CultureInfo.InvariantCulture),
            ["date"] = ApiTime.Show(t.Created, organisation.TimeZone),
            ["paymentMethod"] = card is { Length: > 4 } ? $"{brand} card ending {card[^4..]}".TrimStart() : t.Service,
            ["status"] = t.Status,
            ["refundedAmount"] = Money.Display(t.RefundedMinor, t.Currency),
        };
    }
}
