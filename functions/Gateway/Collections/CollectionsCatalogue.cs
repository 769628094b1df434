using System.Text.Json.Serialization;

namespace Gateway.Collections;

/// <summary>A payment method (<c>pam_</c>): how the debit is collected.</summary>
public sealed record PaymentMethod(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description);

/// <summary>A status lookup (<c>loo_</c>): what a transaction's <c>transaction_status_lookups_id</c> points at.</summary>
public sealed record StatusLookup(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description);

/// <summary>
/// The fixed catalogues the collections API points into. Their ids are stable, readable strings, so merchants can
/// keep them in configuration; they are the same for every organisation.
/// </summary>
public static class CollectionsCatalogue
{
    public const string EftDebitOrder = "pam_eft_debit_order";
    public const string DebiCheck = "pam_debicheck";

    public static readonly IReadOnlyList<PaymentMethod> PaymentMethods =
    [
        new(EftDebitOrder, "EFT debit order", "Debited on the action date under a signed mandate; the debtor may dispute."),
        new(DebiCheck, "DebiCheck", "The debtor approves the mandate with their bank before the first debit."),
    ];

    public const string Pending = "loo_pending";
    public const string Submitted = "loo_submitted";
    public const string Paid = "loo_paid";
    public const string Unpaid = "loo_unpaid";
    public const string Disputed = "loo_disputed";

    public static readonly IReadOnlyList<StatusLookup> Lookups =
    [
        new(Pending, "transaction_status", "pending", "Created for its action date; not yet sent to the bank."),
        new(Submitted, "transaction_status", "submitted", "Sent to the bank in a submission batch; awaiting its answer."),
        new(Paid, "transaction_status", "paid", "The bank collected the amount."),
        new(Unpaid, "transaction_status", "unpaid", "The bank could not collect it; unpaid_reason says why."),
        new(Disputed, "transaction_status", "disputed", "Collected, then disputed by the debtor with their bank."),
    ];

    public static bool IsPaymentMethod(string id) => PaymentMethods.Any(m => m.Id == id);

    public static bool IsLookup(string id) => Lookups.Any(l => l.Id == id);

    /// <summary>The name a status lookup id stands for (<c>PAID</c> in DebiCheck's history).</summary>
    public static string NameOf(string lookupId) => Lookups.First(l => l.Id == lookupId).Name;
}
