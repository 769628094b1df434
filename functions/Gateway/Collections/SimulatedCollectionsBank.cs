using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Gateway.Platform;

namespace Gateway.Collections;

/// <summary>
/// The test-mode bank. It keeps each batch it accepts in its own table and answers it on the business day after the
/// action date (by the organisation's clock, which the runner passes in). Test account numbers decide the answer, as
/// test cards do for card payments; every other account is paid.
/// </summary>
public sealed class SimulatedCollectionsBank(GatewayTables tables, DebitOrderCalendar calendar) : ICollectionsBank
{
    /// <summary>The documented test accounts: (account number, outcome, unpaid reason or warning, answer code).</summary>
    public static readonly IReadOnlyList<(string Account, string Outcome, string? Reason, string Code)> TestAccounts =
    [
        ("1000000000", BankOutcomes.Paid, null, "00"),
        ("1000000001", BankOutcomes.Unpaid, "NO SUCH ACCOUNT", "10"),
        ("1000000002", BankOutcomes.Unpaid, "INSUFFICIENT FUNDS", "02"),
        ("1000000003", BankOutcomes.Unpaid, "PAYMENT STOPPED BY DEBTOR", "04"),
        ("1000000004", BankOutcomes.Unpaid, "ACCOUNT CLOSED", "12"),
        ("1000000005", BankOutcomes.Paid, "** WARNING ONLY - ACCOUNT TYPE CHANGE - 0 TO 1 ***", "000080"),
    ];

    public async Task SubmitAsync(BankSubmission submission, CancellationToken cancellationToken)
    {
        var answers = submission.Debits.Select(d =>
        {
            var (_, outcome, reason, code) = TestAccounts.FirstOrDefault(t => t.Account == d.AccountNumber);
            // A paid answer with a reason is paid with a warning (the bank corrected the account type).
            return outcome is null
                ? new BankAnswer(d.TransactionId, BankOutcomes.Paid, null, "00", null)
                : outcome == BankOutcomes.Paid
                    ? new BankAnswer(d.TransactionId, outcome, null, code, reason)
                    : new BankAnswer(d.TransactionId, outcome, reason, code, null);
        }).ToList();
        // Accepting a batch again (a resubmission after a lost answer) changes nothing: the first copy stands.
        await tables.CollectionsBank.TryAddAsync(new TableEntity(Partition(submission.OrganisationId), submission.BatchReference)
        {
            ["AnswerOn"] = calendar.NextBusinessDay(submission.ActionDate).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["PaymentMethod"] = submission.PaymentMethodId,
            ["Answers"] = JsonSerializer.Serialize(answers),
        }, cancellationToken);
    }

    public Task<MandateAnswer> AuthoriseMandateAsync(long organisationId, Mandate mandate, string accountNumber,
        CancellationToken cancellationToken) =>
        Task.FromResult(accountNumber switch
        {
            "1000000003" => new MandateAnswer(CollectionStates.Rejected, "DEBTOR DECLINED THE MANDATE"),
            "1000000004" => new MandateAnswer(CollectionStates.Rejected, "ACCOUNT CLOSED"),
            _ => new MandateAnswer(CollectionStates.Active, null),
        });

    public async Task<IReadOnlyList<BankResults>> ResultsAsync(long organisationId, DateOnly today,
        CancellationToken cancellationToken)
    {
        var day = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(organisationId)} and AnswerOn le {day}");
        var list = new List<BankResults>();
        await foreach (var e in tables.CollectionsBank.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(new BankResults(organisationId, e.RowKey, e.GetString("PaymentMethod")!,
                JsonSerializer.Deserialize<List<BankAnswer>>(e.GetString("Answers")!)!));
        }
        return list;
    }

    public Task AcknowledgeAsync(long organisationId, string batchReference, CancellationToken cancellationToken) =>
        tables.CollectionsBank.TryDeleteAsync(Partition(organisationId), batchReference, ETag.All, cancellationToken);

    private static string Partition(long organisationId) => $"org-{organisationId:D10}";
}
