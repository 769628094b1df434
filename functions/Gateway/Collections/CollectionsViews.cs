using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Platform;

namespace Gateway.Collections;

public sealed record CustomerView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt,
    [property: JsonPropertyName("first_name")] string FirstName,
    [property: JsonPropertyName("last_name")] string LastName,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("mobile")] string? Mobile);

/// <summary>A bank account; its number only ever masked (the last four digits).</summary>
public sealed record BankAccountView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt,
    [property: JsonPropertyName("customers_id")] string CustomersId,
    [property: JsonPropertyName("bank")] string Bank,
    [property: JsonPropertyName("branch_code")] string BranchCode,
    [property: JsonPropertyName("account_number")] string AccountNumber,
    [property: JsonPropertyName("account_type")] string AccountType,
    [property: JsonPropertyName("account_holder")] string AccountHolder,
    [property: JsonPropertyName("status")] string Status);

public sealed record MandateView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt,
    [property: JsonPropertyName("customers_id")] string CustomersId,
    [property: JsonPropertyName("bank_accounts_id")] string BankAccountsId,
    [property: JsonPropertyName("payment_methods_id")] string PaymentMethodsId,
    [property: JsonPropertyName("mandate_reference")] string MandateReference,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("rejected_reason")] string? RejectedReason);

/// <summary>A payment; <c>next_action_date</c> is its next debit's date after the business-day rule.</summary>
public sealed record PaymentView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt,
    [property: JsonPropertyName("mandates_id")] string MandatesId,
    [property: JsonPropertyName("customers_id")] string CustomersId,
    [property: JsonPropertyName("bank_accounts_id")] string BankAccountsId,
    [property: JsonPropertyName("payment_methods_id")] string PaymentMethodsId,
    [property: JsonPropertyName("amount")] decimal Amount,
    [property: JsonPropertyName("frequency")] string Frequency,
    [property: JsonPropertyName("action_date")] string ActionDate,
    [property: JsonPropertyName("next_action_date")] string? NextActionDate,
    [property: JsonPropertyName("transaction_reference")] string TransactionReference,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("status")] string Status);

/// <summary>Document 002's transaction, exactly its fields in its order.</summary>
public sealed record TransactionView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt,
    [property: JsonPropertyName("charged_at")] string ChargedAt,
    [property: JsonPropertyName("status_changed_at")] string StatusChangedAt,
    [property: JsonPropertyName("payment_methods_id")] string PaymentMethodsId,
    [property: JsonPropertyName("payments_id")] string PaymentsId,
    [property: JsonPropertyName("customers_id")] string CustomersId,
    [property: JsonPropertyName("bank_accounts_id")] string BankAccountsId,
    [property: JsonPropertyName("mandates_id")] string MandatesId,
    [property: JsonPropertyName("transaction_reference")] string TransactionReference,
    [property: JsonPropertyName("payment_reference")] string? PaymentReference,
    [property: JsonPropertyName("submission_batch_reference")] string? SubmissionBatchReference,
    [property: JsonPropertyName("transaction_status_lookups_id")] string TransactionStatusLookupsId,
    [property: JsonPropertyName("amount")] decimal Amount,
    [property: JsonPropertyName("payment_data")] JsonObject PaymentData,
    [property: JsonPropertyName("unpaid_reason")] string? UnpaidReason,
    [property: JsonPropertyName("submission_data")] JsonArray SubmissionData);

/// <summary>Turns stored records into the API's shapes, times in the organisation's zone.</summary>
public static class CollectionsViews
{
    public static string Time(DateTimeOffset instant, TimeZoneInfo zone) => ApiTime.Show(instant, zone);

    private static string? Time(DateTimeOffset? instant, TimeZoneInfo zone) => instant is { } i ? ApiTime.Show(i, zone) : null;

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static CustomerView View(Customer c, TimeZoneInfo zone) =>
        new(c.Id, Time(c.Created, zone), Time(c.Updated, zone), c.FirstName, c.LastName, c.Email, c.Mobile);

    public static BankAccountView View(BankAccount b, TimeZoneInfo zone) =>
        new(b.Id, Time(b.Created, zone), Time(b.Updated, zone), b.CustomerId, b.Bank, b.BranchCode, b.AccountMasked, b.AccountType,
            b.AccountHolder, b.Status);

    public static MandateView View(Mandate m, TimeZoneInfo zone) =>
        new(m.Id, Time(m.Created, zone), Time(m.Updated, zone), m.CustomerId, m.BankAccountId, m.PaymentMethodId, m.Reference,
            m.Status, m.RejectedReason);

    public static PaymentView View(CollectionPayment p, TimeZoneInfo zone, DebitOrderCalendar calendar) =>
        new(p.Id, Time(p.Created, zone), Time(p.Updated, zone), p.MandateId, p.CustomerId, p.BankAccountId, p.PaymentMethodId,
            p.AmountMinor / 100m, p.Frequency, Date(p.ActionDate),
            p.Status == CollectionStates.Active ? Date(calendar.ActionDate(p.NextDate)) : null,
            p.TransactionReference, p.Description, p.Status);

    public static TransactionView View(DebitTransaction t, TimeZoneInfo zone) =>
        new(t.Id, Time(t.Created, zone), Time(t.Updated, zone), Date(t.ChargedOn) + " 00:00:00", Time(t.StatusChangedAt, zone),
            t.PaymentMethodId, t.PaymentId, t.CustomerId, t.BankAccountId, t.MandateId, t.TransactionReference, t.PaymentReference,
            t.BatchReference, t.Status, t.AmountMinor / 100m, t.PaymentData, t.UnpaidReason, t.SubmissionData);
}
