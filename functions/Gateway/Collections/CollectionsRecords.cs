using System.Text.Json.Nodes;

namespace Gateway.Collections;

/// <summary>The debtor a merchant collects from.</summary>
public sealed record Customer(string Id, DateTimeOffset Created, DateTimeOffset? Updated, string FirstName, string LastName,
    string? Email, string? Mobile);

/// <summary>
/// The debtor's bank account. The number is kept sealed (AES-GCM, as card numbers are) and shown only masked; the
/// bank is sent the opened number with each submission.
/// </summary>
public sealed record BankAccount(string Id, DateTimeOffset Created, DateTimeOffset? Updated, string CustomerId, string Bank,
    string BranchCode, string AccountType, string AccountHolder, string AccountMasked, string KeyId, string AccountSealed,
    string Status);

/// <summary>
/// The debtor's authority to debit one account by one payment method. An EFT debit-order mandate is active at once
/// (the merchant holds the signed form); a DebiCheck one waits for the debtor to approve it with their bank.
/// </summary>
public sealed record Mandate(string Id, DateTimeOffset Created, DateTimeOffset? Updated, string CustomerId, string BankAccountId,
    string PaymentMethodId, string Status, string Reference, string? RejectedReason);

/// <summary>
/// A collection instruction: an amount on a first action date, once or again every week or month. <see cref="Next"/>
/// is the occurrence the submission runner books next; its date, before the business-day rule, is
/// <see cref="NextDate"/>. Each occurrence becomes one transaction, at most once.
/// </summary>
public sealed record CollectionPayment(string Id, DateTimeOffset Created, DateTimeOffset? Updated, string MandateId,
    string CustomerId, string BankAccountId, string PaymentMethodId, long AmountMinor, string Frequency, DateOnly ActionDate,
    string TransactionReference, string? Description, string Status, int Next)
{
    public DateOnly DateOf(int index) => Frequency switch
    {
        CollectionFrequencies.Weekly => ActionDate.AddDays(7 * index),
        CollectionFrequencies.Monthly => ActionDate.AddMonths(index), // clamps to the month's last day
        _ => ActionDate,
    };

    public DateOnly NextDate => DateOf(Next);
}

/// <summary>One debit of a payment on one action date, and what the bank said about it.</summary>
public sealed record DebitTransaction(string Id, DateTimeOffset Created, DateTimeOffset? Updated, DateOnly ChargedOn,
    DateTimeOffset StatusChangedAt, string PaymentMethodId, string PaymentId, string CustomerId, string BankAccountId,
    string MandateId, string TransactionReference, string? PaymentReference, string? BatchReference, string Status,
    long AmountMinor, JsonObject PaymentData, string? UnpaidReason, JsonArray SubmissionData, int Occurrence);

public static class CollectionFrequencies
{
    public const string Once = "once";
    public const string Weekly = "weekly";
    public const string Monthly = "monthly";
    public static readonly string[] All = [Once, Weekly, Monthly];
}

/// <summary>The states of customers' bank accounts, mandates and payments (transactions use the status lookups).</summary>
public static class CollectionStates
{
    public const string Active = "active";
    public const string Pending = "pending";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
    public const string Completed = "completed";
}
