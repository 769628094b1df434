using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Gateway.Api;

namespace Gateway.Payments;

/// <summary>The statuses the API documents, plus <c>pending</c> while a 3-D Secure challenge is in flight.</summary>
public static class TransactionStatus
{
    public const string Pending = "pending";
    public const string Complete = "complete";
    public const string Failed = "failed";
    public const string Refunded = "refunded";
    public const string PartiallyRefunded = "partially-refunded";
    public const string Authorised = "authorised";
    public const string Reversed = "reversed";

    /// <summary>The payment went through (the documents' <c>successful: 1</c>); refunds don't undo that.</summary>
    public static bool IsSuccessful(string status) => status is Complete or Refunded or PartiallyRefunded;
}

public static class PaymentTypes
{
    public const string Card = "credit_card";
    public const string Eft = "eft";
}

/// <summary>
/// One payment, in the organisation's partition of the Payments table. Amounts are minor units: <see cref="AmountMinor"/>
/// is what was asked (or authorised), <see cref="SettledMinor"/> what was taken, <see cref="RefundedMinor"/> what went
/// back and <see cref="RefundingMinor"/> what is reserved by refunds still at the acquirer (<see cref="RefundsInFlight"/>). <see cref="Version"/> counts
/// the committed changes; each one writes the outbox event with that sequence number.
/// </summary>
public sealed record PaymentTransaction
{
    public required long Id { get; init; }
    public required long OrganisationId { get; init; }
    public long? UserId { get; init; }
    public string? Username { get; init; }
    public required string Status { get; init; }
    public required string PaymentType { get; init; }
    public required string Service { get; init; }
    public required string Gateway { get; init; }
    public required long AmountMinor { get; init; }
    public long SettledMinor { get; init; }
    public long RefundedMinor { get; init; }
    public IReadOnlyList<RefundInFlight> RefundsInFlight { get; init; } = [];

    /// <summary>A settle or reversal asked of the acquirer and not yet booked.</summary>
    public AuthorisationChange? Changing { get; init; }

    /// <summary>The id of the last change booked, so a retry of it is recognised after the sweep booked it.</summary>
    public string? LastChangeId { get; init; }
    public required string Currency { get; init; }
    public required string MerchantReference { get; init; }
    public string? CustomerReference { get; init; }
    public required string GatewayReference { get; init; }
    public string? AcquirerReference { get; init; }
    public required string PaymentKey { get; init; }
    public string? Reason { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required bool IsDemo { get; init; }
    public bool IsAuthorisation { get; init; }
    public string? ThreeDsSession { get; init; }

    /// <summary>
    /// When the 3-D Secure challenge began, in real time: the sweep abandons challenges by it, as <see cref="Created"/>
    /// follows the organisation's clock, which a test clock can hold anywhere.
    /// </summary>
    public DateTimeOffset? ChallengeStarted { get; init; }
    public string? ReturnUrl { get; init; }
    public string? NotifyUrl { get; init; }
    public bool RememberCard { get; init; }

    /// <summary>The stored card paid with (its guid: the documents' <c>token</c>), for token payments.</summary>
    public Guid? CardGuid { get; init; }

    /// <summary>The acquirer's answer as shown in <c>gateway_response_parameters</c>: masked card data only.</summary>
    public required JsonObject Response { get; init; }

    public int Version { get; init; } = 1;

    /// <summary>Random per write: how a writer whose answer was lost recognises its own write when it reads again.</summary>
    public string? WriteId { get; init; }

    public ETag ETag { get; init; }

    public bool Successful => TransactionStatus.IsSuccessful(Status);

    /// <summary>The amount the API shows: what was settled once settled, else what was asked or authorised.</summary>
    public long ShownAmountMinor => SettledMinor > 0 ? SettledMinor : AmountMinor;

    public long RefundingMinor => RefundsInFlight.Sum(r => r.AmountMinor);

    public long RefundableMinor => SettledMinor - RefundedMinor - RefundingMinor;

    // ----- the state machine: each transition returns the next version or refuses with a 4xx -----

    /// <summary>
    /// Marks a settle (<paramref name="settleMinor"/>) or, when null, a reversal as in flight at the acquirer, so a
    /// second change cannot start before this one is booked. Marking the same change again changes nothing.
    /// </summary>
    public PaymentTransaction BeginChange(string changeId, long? settleMinor, DateTimeOffset now)
    {
        if (Changing?.Id == changeId) return this;
        RequireStatus(settleMinor is null ? "reversed" : "settled", TransactionStatus.Authorised);
        if (Changing is not null) throw ApiException.Conflict($"A {Changing.Kind} of this authorisation is already in progress.");
        if (settleMinor > AmountMinor)
        {
            throw ApiException.BadRequest("amount", $"cannot be more than the authorised {Money.Format(AmountMinor)}.");
        }
        return this with { Changing = new AuthorisationChange(changeId, settleMinor is null ? "reversal" : "settle", settleMinor ?? 0, now) };
    }

    /// <summary>Books the change in flight (the acquirer approved) or drops it (refused); none in flight, nothing to do.</summary>
    public PaymentTransaction FinishChange(bool approved, DateTimeOffset now)
    {
        if (Changing is not { } change) return this;
        if (!approved) return this with { Changing = null };
        return change.Kind == "settle"
            ? Next(now) with { Status = TransactionStatus.Complete, SettledMinor = change.AmountMinor, Reason = null, Changing = null }
            : Next(now) with { Status = TransactionStatus.Reversed, Changing = null };
    }

    /// <summary>
    /// Holds <paramref name="amountMinor"/> for refund <paramref name="refundId"/> while the acquirer is asked, so that
    /// concurrent refunds can never exceed the settled amount. Reserving the same refund again changes nothing.
    /// </summary>
    public PaymentTransaction ReserveRefund(string refundId, long amountMinor, DateTimeOffset now)
    {
        if (RefundsInFlight.Any(r => r.Id == refundId)) return this;
        RequireStatus("refunded", TransactionStatus.Complete, TransactionStatus.PartiallyRefunded);
        if (RefundableMinor == 0) throw ApiException.Conflict("This transaction has nothing left to refund.");
        if (amountMinor > RefundableMinor)
        {
            throw ApiException.BadRequest("amount", $"cannot be more than the {Money.Format(RefundableMinor)} still refundable.");
        }
        return this with { RefundsInFlight = [.. RefundsInFlight, new RefundInFlight(refundId, amountMinor, now)] };
    }

    /// <summary>Books (or, when refused, releases) a reserved refund; one no longer in flight was finished already.</summary>
    public PaymentTransaction FinishRefund(string refundId, bool approved, DateTimeOffset now)
    {
        var refund = RefundsInFlight.FirstOrDefault(r => r.Id == refundId);
        if (refund is null) return this;
        var released = this with { RefundsInFlight = [.. RefundsInFlight.Where(r => r.Id != refundId)] };
        if (!approved) return released;
        var refunded = RefundedMinor + refund.AmountMinor;
        return released.Next(now) with
        {
            RefundedMinor = refunded,
            Status = refunded == SettledMinor ? TransactionStatus.Refunded : TransactionStatus.PartiallyRefunded,
        };
    }

    /// <summary>The 3-D Secure challenge is over: the payment is decided by the acquirer's answer.</summary>
    public PaymentTransaction Decide(AcquirerResult result, DateTimeOffset now)
    {
        RequireStatus("completed", TransactionStatus.Pending);
        return Next(now) with
        {
            Status = !result.Approved ? TransactionStatus.Failed
                : IsAuthorisation ? TransactionStatus.Authorised : TransactionStatus.Complete,
            SettledMinor = result.Approved && !IsAuthorisation ? AmountMinor : 0,
            Reason = result.Approved ? null : result.ResponseText,
            Response = Responses.With(Response, result),
        };
    }

    private PaymentTransaction Next(DateTimeOffset now) => this with { Version = Version + 1, Updated = now };

    public DateTimeOffset? Updated { get; init; }

    private void RequireStatus(string action, params string[] allowed)
    {
        if (!allowed.Contains(Status))
        {
            throw ApiException.Conflict($"A {Status} transaction cannot be {action}; only {string.Join(" or ", allowed)} ones can.");
        }
    }

    // ----- storage -----

    public TableEntity ToEntity()
    {
        var e = new TableEntity(PaymentRows.TransactionPartition(OrganisationId, Id), PaymentRows.TransactionRow(Id))
        {
            ["Kind"] = "transaction",
            ["UserId"] = UserId,
            ["Username"] = Username,
            ["Status"] = Status,
            ["PaymentType"] = PaymentType,
            ["Service"] = Service,
            ["Gateway"] = Gateway,
            ["AmountMinor"] = AmountMinor,
            ["SettledMinor"] = SettledMinor,
            ["RefundedMinor"] = RefundedMinor,
            ["RefundsInFlight"] = RefundsInFlight.Count == 0 ? null : JsonSerializer.Serialize(RefundsInFlight),
            ["Changing"] = Changing is null ? null : JsonSerializer.Serialize(Changing),
            ["LastChangeId"] = LastChangeId,
            ["Currency"] = Currency,
            ["MerchantReference"] = MerchantReference,
            ["CustomerReference"] = CustomerReference,
            ["GatewayReference"] = GatewayReference,
            ["AcquirerReference"] = AcquirerReference,
            ["PaymentKey"] = PaymentKey,
            ["Reason"] = Reason,
            ["Created"] = Created,
            ["Updated"] = Updated,
            ["IsDemo"] = IsDemo,
            ["IsAuthorisation"] = IsAuthorisation,
            ["ThreeDsSession"] = ThreeDsSession,
            ["ChallengeStarted"] = ChallengeStarted,
            ["ReturnUrl"] = ReturnUrl,
            ["NotifyUrl"] = NotifyUrl,
            ["RememberCard"] = RememberCard,
            ["CardGuid"] = CardGuid,
            ["Response"] = Response.ToJsonString(),
            ["Version"] = Version,
            ["WriteId"] = WriteId,
        };
        e.ETag = ETag;
        return e;
    }

    public static PaymentTransaction FromEntity(long organisationId, TableEntity e) => new()
    {
        Id = PaymentRows.TransactionId(e.RowKey),
        OrganisationId = organisationId,
        UserId = e.GetInt64("UserId"),
        Username = e.GetString("Username"),
        Status = e.GetString("Status")!,
        PaymentType = e.GetString("PaymentType")!,
        Service = e.GetString("Service")!,
        Gateway = e.GetString("Gateway")!,
        AmountMinor = e.GetInt64("AmountMinor") ?? 0,
        SettledMinor = e.GetInt64("SettledMinor") ?? 0,
        RefundedMinor = e.GetInt64("RefundedMinor") ?? 0,
        RefundsInFlight = e.GetString("RefundsInFlight") is { } inFlight ? JsonSerializer.Deserialize<RefundInFlight[]>(inFlight)! : [],
        Changing = e.GetString("Changing") is { } changing ? JsonSerializer.Deserialize<AuthorisationChange>(changing) : null,
        LastChangeId = e.GetString("LastChangeId"),
        Currency = e.GetString("Currency")!,
        MerchantReference = e.GetString("MerchantReference")!,
        CustomerReference = e.GetString("CustomerReference"),
        GatewayReference = e.GetString("GatewayReference")!,
        AcquirerReference = e.GetString("AcquirerReference"),
        PaymentKey = e.GetString("PaymentKey")!,
        Reason = e.GetString("Reason"),
        Created = e.GetDateTimeOffset("Created")!.Value,
        Updated = e.GetDateTimeOffset("Updated"),
        IsDemo = e.GetBoolean("IsDemo") ?? false,
        IsAuthorisation = e.GetBoolean("IsAuthorisation") ?? false,
        ThreeDsSession = e.GetString("ThreeDsSession"),
        ChallengeStarted = e.GetDateTimeOffset("ChallengeStarted"),
        ReturnUrl = e.GetString("ReturnUrl"),
        NotifyUrl = e.GetString("NotifyUrl"),
        RememberCard = e.GetBoolean("RememberCard") ?? false,
        CardGuid = e.GetGuid("CardGuid"),
        Response = JsonNode.Parse(e.GetString("Response") ?? "{}") as JsonObject ?? [],
        Version = e.GetInt32("Version") ?? 1,
        WriteId = e.GetString("WriteId"),
        ETag = e.ETag,
    };
}

/// <summary>A settle or reversal of an authorisation, marked before the acquirer is asked (see <see cref="AuthorisationService"/>).</summary>
public sealed record AuthorisationChange(string Id, string Kind, long AmountMinor, DateTimeOffset Since);

/// <summary>A refund reserved on its transaction while the acquirer is asked; <see cref="Since"/> lets a sweep find stale ones.</summary>
public sealed record RefundInFlight(string Id, long AmountMinor, DateTimeOffset Since);

/// <summary>Builds <c>gateway_response_parameters</c>: only the masked card number and its BIN ever go in.</summary>
public static class Responses
{
    /// <summary>A card payment's parameters; a stored card's guid goes in as <c>card_token</c>, the token to re-use.</summary>
    public static JsonObject ForCard(CardDetails card, long amountMinor, string currency, Guid? cardToken = null) =>
        ForCard(card.Masked, card.Brand, card.Bin, amountMinor, currency, cardToken);

    /// <summary>The same from a card's display parts (a stored card's, which need not be opened for this).</summary>
    public static JsonObject ForCard(string masked, string brand, string bin, long amountMinor, string currency, Guid? cardToken)
    {
        var response = new JsonObject
        {
            ["amount"] = amountMinor,
            ["card"] = masked,
            ["cardName"] = brand,
            ["currency"] = Money.NumericCode(currency),
            ["bin"] = bin,
        };
        if (cardToken is { } guid) response["card_token"] = guid.ToString();
        return response;
    }

    /// <summary>Only what was asked: an attempt that never reached a card or an account.</summary>
    public static JsonObject ForAmount(long amountMinor, string currency) => new()
    {
        ["amount"] = amountMinor,
        ["currency"] = Money.NumericCode(currency),
    };

    public static JsonObject ForEft(string bank, string account, long amountMinor, string currency) => new()
    {
        ["amount"] = amountMinor,
        ["bank"] = bank,
        ["accountFrom"] = account.Length > 4 ? new string('*', account.Length - 4) + account[^4..] : "****",
        ["currency"] = Money.NumericCode(currency),
    };

    public static JsonObject With(JsonObject response, AcquirerResult result)
    {
        var next = (JsonObject)response.DeepClone();
        next["reference"] = result.Reference;
        next["responseCode"] = result.ResponseCode;
        next["responseText"] = result.ResponseText;
        if (result.AuthCode is not null) next["authCode"] = result.AuthCode;
        if (result.DeclineCode is not null) next["declineCode"] = result.DeclineCode;
        return next;
    }
}
