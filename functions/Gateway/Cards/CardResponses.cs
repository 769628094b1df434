using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Payments;

namespace Gateway.Cards;

// Wire shapes of the documents' Credit Card Token sections (names and order as documented). Request records are for
// the OpenAPI description only: the endpoints read bodies through RequestForm (form or JSON).

public sealed record CardTokenForm(string MerchantReference);

public sealed record DirectCardTokenForm(string MerchantReference, string Pan, string Expiry, string Cvv);

public sealed record CardEnquiryForm(string Pan, string Expiry, string Cvv);

public sealed record TokenPaymentForm(decimal Amount, string Reference, string? PendingUrl,
    [property: JsonPropertyName("card_token_3ds")] int? CardToken3ds = null);

public sealed record TokenAuthorisationForm(decimal Amount, string Reference, int? IsAuthorisation, string? PendingUrl,
    [property: JsonPropertyName("card_token_3ds")] int? CardToken3ds = null);

public sealed record CardTokenCreated(
    [property: JsonPropertyName("merchant_reference")] string MerchantReference,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("guid")] string Guid,
    [property: JsonPropertyName("expiry_date")] string ExpiryDate);

public sealed record CardTokenView(
    [property: JsonPropertyName("merchant_reference")] string MerchantReference,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("guid")] string Guid,
    [property: JsonPropertyName("expiry_date")] string ExpiryDate,
    [property: JsonPropertyName("pan")] string Pan,
    [property: JsonPropertyName("card_bin")] string CardBin)
{
    public static CardTokenView From(StoredCard card) =>
        new(card.MerchantReference, card.Token, card.Guid.ToString(), card.ExpiryText, card.Masked, card.Bin);
}

/// <summary>The documents show <c>"success": "true"</c> but describe a boolean; a boolean it is.</summary>
public sealed record CardTokenDeleted(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("message")] string Message);

public sealed record CardEnquiryResult(
    [property: JsonPropertyName("card_valid")] bool CardValid,
    [property: JsonPropertyName("message")] string Message);

/// <summary>
/// A token payment's answer, as the documents' examples: <c>pay</c> with <c>user</c> ("n/a" when an API key paid)
/// and <c>reason</c> "n/a" when there is none; <c>auth</c> without <c>user</c> and with a null reason. <c>success</c>
/// is 1 once money was taken (an authorisation is 0 until settled, as the auth example shows).
/// </summary>
public sealed record TokenPaymentResult(
    [property: JsonPropertyName("success")] int Success,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("callpay_transaction_id")] long CallpayTransactionId,
    [property: JsonPropertyName("organisation_id")] long OrganisationId,
    [property: JsonPropertyName("user"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User,
    [property: JsonPropertyName("merchant_reference")] string MerchantReference,
    [property: JsonPropertyName("gateway_reference")] string GatewayReference,
    [property: JsonPropertyName("gateway_response")] JsonObject GatewayResponse)
{
    public static TokenPaymentResult From(PaymentTransaction t, bool authorisation) => new(
        t.Successful ? 1 : 0,
        Money.Format(t.ShownAmountMinor),
        authorisation ? t.Reason : t.Reason ?? "n/a",
        t.Id,
        t.OrganisationId,
        authorisation ? null : t.Username ?? "n/a",
        t.MerchantReference,
        t.GatewayReference,
        (JsonObject)t.Response.DeepClone());
}
