using Gateway.Api;
using Gateway.Identity;
namespace Gateway.Payments;

public enum AcquirerOutcome
{
    Approved,
    Declined,

    /// <summary>The issuer wants the cardholder to pass a 3-D Secure challenge before it decides.</summary>
    ChallengeRequired,
}

/// <summary>
/// What the acquirer said. <see cref="ResponseCode"/> and <see cref="ResponseText"/> use ISO 8583 codes ("00"
/// approved, "51" insufficient funds), as the documents' <c>gateway_response_parameters</c> show.
/// </summary>
public sealed record AcquirerResult(
    AcquirerOutcome Outcome, string ResponseCode, string ResponseText, string? DeclineCode, string? AuthCode, string Reference)
{
    public bool Approved => Outcome == AcquirerOutcome.Approved;
}

/// <summary>
/// A card payment to authorise; <see cref="Capture"/> false holds the funds for a later settle or reverse. With
/// <see cref="RequestChallenge"/> the merchant asks for 3-D Secure even where the issuer would not (the
/// organisation's <c>three_d_secure=always</c>): the answer is then a challenge, unless the card is declined outright.
/// </summary>
public sealed record CardCharge(string IdempotencyKey, CardDetails Card, long AmountMinor, string Currency, bool Capture)
{
    public bool RequestChallenge { get; init; }
}

/// <summary>
/// How a card payment treats 3-D Secure: whether the gateway asks for a challenge, and whether it can take one at
/// all (with 3-D Secure off, an issuer's demand for one is a decline).
/// </summary>
public sealed record ThreeDSecurePolicy(bool Request, bool Allowed, string OffReason)
{
    /// <summary>
    /// The organisation's setting, unless a token payment's <c>card_token_3ds</c> (1 always, 0 off) says otherwise,
    /// as the documents say it may.
    /// </summary>
    public static ThreeDSecurePolicy For(Organisation organisation, bool? tokenSetting = null) =>
        tokenSetting switch
        {
            true => new(Request: true, Allowed: true, ""),
            false => new(Request: false, Allowed: false,
                "3-D Secure authentication required, and it is off for this token payment (card_token_3ds=0)"),
            null => organisation.ThreeDSecure switch
            {
                ThreeDSecureModes.Always => new(Request: true, Allowed: true, ""),
                ThreeDSecureModes.Off => new(Request: false, Allowed: false,
                    "3-D Secure authentication required, and the organisation has it off (three_d_secure=off)"),
                _ => new(Request: false, Allowed: true, ""),
            },
        };

    /// <summary>Charges the card under this policy: a challenge the payment cannot take is a decline.</summary>
    public async Task<AcquirerResult> ChargeAsync(IAcquirer acquirer, CardCharge charge, CancellationToken cancellationToken)
    {
        var result = await acquirer.ChargeCardAsync(charge with { RequestChallenge = Request }, cancellationToken);
        return result.Outcome == AcquirerOutcome.ChallengeRequired && !Allowed
            ? PaymentService.DeclineChallenge(result, OffReason)
            : result;
    }
}

/// <summary>An instant EFT: the payer signed in to <see cref="Bank"/> as <see cref="Account"/> and confirmed.</summary>
public sealed record EftCharge(string IdempotencyKey, string Bank, string Account, long AmountMinor, string Currency);

/// <summary>
/// The boundary to whoever moves the money (a card acquirer or an EFT processor). Every call carries an idempotency
/// key derived from our own ids, so a call repeated after a crash or a lost answer is answered, not repeated.
/// </summary>
public interface IAcquirer
{
    /// <summary>The name shown as a transaction's <c>gateway</c>.</summary>
    string Name { get; }

    Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken);

    Task<AcquirerResult> CompleteChallengeAsync(string reference, bool passed, CancellationToken cancellationToken);

    Task<AcquirerResult> CaptureAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken);

    Task<AcquirerResult> VoidAsync(string reference, string idempotencyKey, CancellationToken cancellationToken);

    Task<AcquirerResult> RefundAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken);

    Task<AcquirerResult> ChargeEftAsync(EftCharge charge, CancellationToken cancellationToken);

    /// <summary>Whether the issuer would accept the card (hot-card and fraud lists, expiry), without moving money.</summary>
    Task<CardEnquiry> EnquireCardAsync(CardDetails card, CancellationToken cancellationToken);
}

/// <summary>The acquirer's view of a card: the documents' <c>{card_valid, message}</c>.</summary>
public sealed record CardEnquiry(bool Valid, string Message);

/// <summary>The acquirer could not be reached or gave no usable answer; the payment's outcome is unknown to it.</summary>
public sealed class AcquirerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Chooses the acquirer per organisation: a test-mode organisation only ever reaches the simulator, whatever is
/// configured for live traffic. The live acquirer is whatever <see cref="IAcquirer"/> is registered; until a real
/// processor is integrated that is the simulator too (its transactions are then not marked as demo).
/// </summary>
public sealed class AcquirerRouter(SimulatedAcquirer simulator, IEnumerable<IAcquirer> connectors) : ILivePayments
{
    /// <summary>The live acquirer: the connector registered as <see cref="IAcquirer"/> (the last, if several).</summary>
    private readonly IAcquirer? _live = connectors.LastOrDefault();

    public string? Unavailable => _live is null ? "no acquirer connector is configured" : null;

    /// <summary>
    /// Test mode always goes to the simulator; live mode only ever to a real connector, never the simulator, so a
    /// live merchant can never take a simulated approval for money moved.
    /// </summary>
    public IAcquirer For(bool isTestMode) => isTestMode ? simulator : _live ?? throw LiveUnavailable();

    /// <summary>Refuses, before anything is written, what would later need the live acquirer.</summary>
    public void RefuseUnavailable(Organisation organisation) => For(organisation.Mode == OrganisationModes.Test);

    private static ApiException LiveUnavailable() => ApiException.Conflict(
        "Live payments need an acquirer connector, and none is configured: nothing was charged or booked. " +
        "Test mode uses the simulator.");
}
