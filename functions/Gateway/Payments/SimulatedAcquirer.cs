using System.Security.Cryptography;
using System.Text;

namespace Gateway.Payments;

/// <summary>
/// A deterministic acquirer for test mode and local development. Card outcomes follow the card number, using
/// Stripe's test numbers with Stripe's meanings; EFT outcomes follow the account the payer signs in with. Any other
/// valid number or account is approved. References derive from the idempotency key, so a repeated call gets the
/// same answer, as from a real acquirer.
/// </summary>
public sealed class SimulatedAcquirer : IAcquirer
{
    /// <summary>The README's table of test cards; anything else that passes Luhn is approved.</summary>
    public static readonly IReadOnlyDictionary<string, (string DeclineCode, string ResponseCode, string Text)> CardDeclines =
        new Dictionary<string, (string, string, string)>(StringComparer.Ordinal)
        {
            ["4000000000000002"] = ("generic_decline", "05", "Card declined"),
            ["4000000000009995"] = ("insufficient_funds", "51", "Insufficient funds"),
            ["4000000000009987"] = ("lost_card", "41", "Lost card"),
            ["4000000000000069"] = ("expired_card", "54", "Expired card"),
            ["4000000000000127"] = ("incorrect_cvc", "N7", "Incorrect CVC"),
            ["4000000000000119"] = ("processing_error", "96", "Processing error"),
            ["4000000000009979"] = ("stolen_card", "43", "Stolen card"),
            ["4100000000000019"] = ("fraudulent", "59", "Suspected fraud"),
        };

    /// <summary>What a card enquiry says of the cards on hot-card or fraud lists, or expired at the issuer.</summary>
    public static readonly IReadOnlyDictionary<string, string> EnquiryRefusals = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["4000000000009987"] = "Hot card: reported lost",
        ["4000000000009979"] = "Hot card: reported stolen",
        ["4100000000000019"] = "Card blocked: suspected fraud",
        ["4000000000000069"] = "Card expired at the issuer",
    };

    /// <summary>
    /// Numbers published for testing (these and Stripe's per-brand numbers): a live organisation's enquiry refuses them,
    /// as the documents' example shows, since no real cardholder has one.
    /// </summary>
    public static bool IsTestCard(string number) =>
        number == "4242424242424242" || number == ChallengeCard || CardDeclines.ContainsKey(number) || BrandTestCards.Contains(number);

    private static readonly HashSet<string> BrandTestCards = new(StringComparer.Ordinal)
    {
        "4000056655665556", "5555555555554444", "2223003122003222", "5200828282828210", "5105105105105100",
        "378282246310005", "371449635398431", "6011111111111117", "3056930009020004", "36227206271667",
    };

    /// <summary>Always asks for a 3-D Secure challenge (Stripe's "authentication required" card).</summary>
    public const string ChallengeCard = "4000000000003220";

    /// <summary>EFT accounts with fixed outcomes; any other account number is approved.</summary>
    public static readonly IReadOnlyDictionary<string, (string DeclineCode, string ResponseCode, string Text)> EftDeclines =
        new Dictionary<string, (string, string, string)>(StringComparer.Ordinal)
        {
            ["4000000051"] = ("insufficient_funds", "51", "Insufficient funds"),
            ["4000000091"] = ("bank_timeout", "91", "Bank did not respond in time"),
        };

    public string Name => "Simulator";

    public Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        var reference = Reference(charge.IdempotencyKey);
        if (CardDeclines.TryGetValue(charge.Card.Number, out var decline))
        {
            return Answer(new AcquirerResult(AcquirerOutcome.Declined, decline.ResponseCode, decline.Text, decline.DeclineCode, null, reference));
        }
        if (charge.Card.Number == ChallengeCard || charge.RequestChallenge)
        {
            return Answer(new AcquirerResult(AcquirerOutcome.ChallengeRequired, "1A", "Authentication required", null, null, reference));
        }
        return Answer(Approved(reference));
    }

    public Task<AcquirerResult> CompleteChallengeAsync(string reference, bool passed, CancellationToken cancellationToken) =>
        Answer(passed ? Approved(reference)
            : new AcquirerResult(AcquirerOutcome.Declined, "05", "3-D Secure authentication failed", "authentication_failed", null, reference));

    public Task<AcquirerResult> CaptureAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) =>
        Answer(Approved(reference));

    public Task<AcquirerResult> VoidAsync(string reference, string idempotencyKey, CancellationToken cancellationToken) =>
        Answer(Approved(reference));

    public Task<AcquirerResult> RefundAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) =>
        Answer(Approved(Reference(idempotencyKey)));

    public Task<AcquirerResult> ChargeEftAsync(EftCharge charge, CancellationToken cancellationToken)
    {
        var reference = Reference(charge.IdempotencyKey);
        return Answer(EftDeclines.TryGetValue(charge.Account, out var decline)
            ? new AcquirerResult(AcquirerOutcome.Declined, decline.ResponseCode, decline.Text, decline.DeclineCode, null, reference)
            : Approved(reference));
    }

    public Task<CardEnquiry> EnquireCardAsync(CardDetails card, CancellationToken cancellationToken) =>
        Task.FromResult(EnquiryRefusals.TryGetValue(card.Number, out var refusal) ? new CardEnquiry(false, refusal) : new CardEnquiry(true, "Card is valid"));

    private static AcquirerResult Approved(string reference) =>
        new(AcquirerOutcome.Approved, "00", "Approved", null, AuthCode(reference), reference);

    private static Task<AcquirerResult> Answer(AcquirerResult result) => Task.FromResult(result);

    private static string Reference(string idempotencyKey) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)).AsSpan(0, 16)).ToString();

    private static string AuthCode(string reference) =>
        (BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(reference)), 0) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
