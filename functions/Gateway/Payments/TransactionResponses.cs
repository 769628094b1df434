using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>A transaction as the documents' View Transaction shows it (field names and order as documented).</summary>
public sealed record TransactionView(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("successful")] int Successful,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("displayAmount")] string DisplayAmount,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("merchant_reference")] string MerchantReference,
    [property: JsonPropertyName("gateway_reference")] string GatewayReference,
    [property: JsonPropertyName("payment_key")] string PaymentKey,
    [property: JsonPropertyName("created")] string Created,
    [property: JsonPropertyName("refunded_amount")] string RefundedAmount,
    [property: JsonPropertyName("refunded")] int Refunded,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("gateway")] string Gateway,
    [property: JsonPropertyName("gateway_response_parameters")] JsonObject GatewayResponseParameters,
    [property: JsonPropertyName("call")] string Call,
    [property: JsonPropertyName("location")] string Location,
    [property: JsonPropertyName("signature")] string? Signature,
    [property: JsonPropertyName("is_demo_transaction")] int IsDemoTransaction,
    [property: JsonPropertyName("token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token = null)
{
    public static TransactionView From(PaymentTransaction t, TimeZoneInfo zone) => new(
        t.Id,
        t.Successful ? 1 : 0,
        t.Status,
        Money.Format(t.ShownAmountMinor),
        t.Successful ? "n/a" : t.Reason,
        Money.Display(t.ShownAmountMinor, t.Currency),
        t.Currency,
        t.MerchantReference,
        t.GatewayReference,
        t.PaymentKey,
        ApiTime.Show(t.Created, zone),
        Money.Format(t.RefundedMinor),
        t.RefundedMinor > 0 ? 1 : 0,
        t.Service,
        t.Gateway,
        (JsonObject)t.Response.DeepClone(),
        "",
        "",
        null,
        t.IsDemo ? 1 : 0,
        t.CardGuid?.ToString());
}

/// <summary>One row of a transaction list: the documents' fields first, then status, currency and merchant reference.</summary>
public sealed record TransactionListItem(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("successful")] int Successful,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("gateway_reference")] string GatewayReference,
    [property: JsonPropertyName("created")] string Created,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("merchant_reference")] string MerchantReference)
{
    public static TransactionListItem From(PaymentTransaction t, TimeZoneInfo zone) => new(
        t.Id, t.Successful ? 1 : 0, Money.Format(t.ShownAmountMinor), t.GatewayReference, ApiTime.Show(t.Created, zone),
        t.Service, t.Status, t.Currency, t.MerchantReference);
}

/// <summary><c>{"type": "result", "message": ..., "transaction": {...}}</c> from pay/direct, pay/auth, settle and reverse.</summary>
public sealed record PaymentResult(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message,
    [property: JsonPropertyName("transaction")] TransactionView Transaction);

/// <summary><c>{"type": "3ds_redirect", "redirect_url": ..., "gateway_transaction_id": "82"}</c> (the id is a string, as documented).</summary>
public sealed record ThreeDsRedirect(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("redirect_url")] string RedirectUrl,
    [property: JsonPropertyName("gateway_transaction_id")] string GatewayTransactionId);

public sealed record PaymentKeyCreated(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("origin")] string Origin);

public sealed record RefundResult([property: JsonPropertyName("result")] bool Result);
