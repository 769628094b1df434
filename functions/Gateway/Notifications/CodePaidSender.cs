using Gateway.Codes;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Notifications;

/// <summary>
/// Tells the people a code names (<c>smsNotify</c>, <c>emailNotify</c>) that it was paid: one SMS per number and one
/// e-mail per address. At least once, like every notification: a failed send throws and the message comes back, and
/// the local store keeps one copy per transaction, channel and recipient.
/// </summary>
public sealed class CodePaidSender(CodeStore codes, PaymentStore payments, IdentityStore identity, ISmsSender sms,
    IEmailSender email, ILogger<CodePaidSender> logger)
{
    public async Task SendAsync(CodePaidWork work, CancellationToken cancellationToken)
    {
        var (organisationId, transactionId, digits) = work;
        var code = await codes.GetAsync(organisationId, digits, cancellationToken)
            ?? throw new InvalidOperationException($"Code {digits} of organisation {organisationId} does not exist.");
        var transaction = await payments.GetAsync(organisationId, transactionId, cancellationToken)
            ?? throw new InvalidOperationException($"Transaction {transactionId} of organisation {organisationId} does not exist.");
        var organisation = await identity.GetOrganisationAsync(organisationId, cancellationToken)
            ?? throw new InvalidOperationException($"Organisation {organisationId} does not exist.");

        var about = NotificationAbout.Receipt(transactionId);
        var amount = Money.Display(transaction.ShownAmountMinor, transaction.Currency);
        var when = ApiTime.Show(transaction.Created, organisation.TimeZone);
        var text = $"{organisation.Name}: {amount} paid for {code.ShortDescription} (code {code.Code}, ref " +
            $"{code.MerchantReference}, transaction {transaction.Id}) at {when}.";
        foreach (var number in code.SmsNotify)
        {
            await sms.SendAsync(new SmsMessage(organisationId, about, number, text), cancellationToken);
        }
        foreach (var address in code.EmailNotify)
        {
            await email.SendAsync(new EmailMessage(organisationId, about, address, $"Code {code.Code} paid: {amount}", text, []),
                cancellationToken);
        }
        logger.LogInformation("Sent the notices of code payment {TransactionId} to {Count} recipients", transactionId,
            code.SmsNotify.Count + code.EmailNotify.Count);
    }
}
