using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Gateway.Api;

namespace Gateway.Identity;

/// <summary>
/// The organisation's 3-D Secure setting (<c>three_d_secure</c>), the "backend setting" the documents' card payments
/// and <c>card_token_3ds</c> default to.
/// </summary>
public static class ThreeDSecureModes
{
    /// <summary>Never authenticate: a card whose issuer demands it is declined.</summary>
    public const string Off = "off";

    /// <summary>Authenticate when the issuer asks (the default, and the behaviour before the setting existed).</summary>
    public const string WhenRequired = "when_required";

    /// <summary>Authenticate every card payment: the documents' "3Ds enabled" examples.</summary>
    public const string Always = "always";

    public static readonly string[] All = [Off, WhenRequired, Always];
}

/// <summary>
/// The organisation's receipt templates (<c>POST /api/v1/notification/send</c>): <c>{placeholder}</c>s are replaced
/// with the transaction's values; an unset template is the default. Checked when set, so a receipt never goes out
/// with a placeholder nobody fills.
/// </summary>
public sealed partial record ReceiptTemplates(string? Sms, string? EmailSubject, string? EmailBody)
{
    public static readonly ReceiptTemplates None = new(null, null, null);

    public const string DefaultSms =
        "{merchantName}: payment of {amount} received, ref {reference}, transaction {transactionId}, {date}. Thank you.";

    public const string DefaultEmailSubject = "Your receipt from {merchantName}";

    public const string DefaultEmailBody = """
        Thank you for your payment.

        Merchant: {merchantName}
        Amount: {amount}
        Reference: {reference}
        Transaction: {transactionId}
        Date: {date}
        Paid by: {paymentMethod}
        Status: {status}
        """;

    public static readonly string[] Placeholders =
        ["merchantName", "amount", "reference", "transactionId", "date", "paymentMethod", "status", "refundedAmount"];

    /// <summary>The form fields and their longest values (an SMS of up to three parts; a modest e-mail).</summary>
    public static readonly (string Field, int MaxLength)[] Fields =
        [("receipt_sms_template", 480), ("receipt_email_subject", 150), ("receipt_email_template", 4000)];

    public string SmsText => Sms ?? DefaultSms;
    public string EmailSubjectText => EmailSubject ?? DefaultEmailSubject;
    public string EmailBodyText => EmailBody ?? DefaultEmailBody;

    /// <summary>
    /// The templates after the form's changes: a given field replaces its template, an empty one restores the default.
    /// </summary>
    public ReceiptTemplates With(FormSection form)
    {
        string? Read(string field, int maxLength, string? current)
        {
            if (!form.Has(field)) return current;
            // Only the e-mail body may span lines: an SMS or a subject line is one line.
            var text = field == Fields[2].Field ? form.MultilineText(field, maxLength) : form.Text(field, maxLength);
            if (text is null) return null;
            foreach (Match m in Placeholder().Matches(text))
            {
                if (!Placeholders.Contains(m.Groups[1].Value, StringComparer.Ordinal))
                {
                    throw ApiException.BadRequest(form.FieldName(field),
                        $"has an unknown placeholder {m.Value}; use {string.Join(", ", Placeholders.Select(p => $"{{{p}}}"))}.");
                }
            }
            return text;
        }
        return new(Read(Fields[0].Field, Fields[0].MaxLength, Sms), Read(Fields[1].Field, Fields[1].MaxLength, EmailSubject),
            Read(Fields[2].Field, Fields[2].MaxLength, EmailBody));
    }

    /// <summary>The template with its placeholders filled; values are plain text (the receipts are text, not HTML).</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.GetValueOrDefault(m.Groups[1].Value, m.Value));

    public void WriteTo(TableEntity entity)
    {
        entity["ReceiptSms"] = Sms;
        entity["ReceiptEmailSubject"] = EmailSubject;
        entity["ReceiptEmailBody"] = EmailBody;
    }

    public static ReceiptTemplates ReadFrom(TableEntity e) =>
        new(e.GetString("ReceiptSms"), e.GetString("ReceiptEmailSubject"), e.GetString("ReceiptEmailBody"));

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Placeholder();
}
