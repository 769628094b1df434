namespace Gateway.Collections;

/// <summary>One debit of a submission batch, as the bank needs it.</summary>
public sealed record BankDebit(string TransactionId, string PaymentReference, string BranchCode, string AccountNumber,
    string AccountType, long AmountMinor);

public sealed record BankSubmission(long OrganisationId, string BatchReference, DateOnly ActionDate, string PaymentMethodId,
    IReadOnlyList<BankDebit> Debits);

/// <summary>
/// The bank's word on one debit (<see cref="BankOutcomes"/>): an unpaid one's reason, or a paid one's warning in
/// <see cref="Message"/>. <see cref="Code"/> is the bank's answer code (EFT's code, DebiCheck's bank_code).
/// </summary>
public sealed record BankAnswer(string TransactionId, string Outcome, string? Reason, string Code, string? Message);

/// <summary>A batch's answers, as the bank hands them back (a result file, for a real bank).</summary>
public sealed record BankResults(long OrganisationId, string BatchReference, string PaymentMethodId,
    IReadOnlyList<BankAnswer> Answers);

/// <summary>The debtor's answer to a DebiCheck mandate: approved, rejected (with why), or still pending.</summary>
public sealed record MandateAnswer(string Status, string? Reason);

public static class BankOutcomes
{
    public const string Paid = "paid";
    public const string Unpaid = "unpaid";
    public const string Disputed = "disputed";
}

/// <summary>
/// The bank that collects debit orders: where a real integration (a BankservAfrica member's host-to-host link)
/// plugs in. Submission is idempotent per batch reference; answers wait at the bank until acknowledged, so a run that
/// stops after fetching them fetches them again.
/// </summary>
public interface ICollectionsBank
{
    Task SubmitAsync(BankSubmission submission, CancellationToken cancellationToken);

    /// <summary>Asks the debtor to approve a DebiCheck mandate on this account.</summary>
    Task<MandateAnswer> AuthoriseMandateAsync(long organisationId, Mandate mandate, string accountNumber,
        CancellationToken cancellationToken);

    /// <summary>The batches whose answers are ready by <paramref name="today"/> (the organisation's date).</summary>
    Task<IReadOnlyList<BankResults>> ResultsAsync(long organisationId, DateOnly today, CancellationToken cancellationToken);

    Task AcknowledgeAsync(long organisationId, string batchReference, CancellationToken cancellationToken);
}
