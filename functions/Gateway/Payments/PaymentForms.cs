namespace Gateway.Payments;

// Request shapes for the OpenAPI description only; the endpoints read bodies through RequestForm, which accepts
// these fields as a form (the documents' curl examples) or as JSON.

/// <summary>The documents' shared, EFT and credit-card payment-key parameters.</summary>
public sealed record PaymentKeyForm(
    decimal Amount, string MerchantReference, string? CustomerReference, string? SuccessUrl, string? ErrorUrl, string? CancelUrl,
    string? NotifyUrl, string? PendingUrl, string? PaymentType, string? CurrencyCode, string? CustomerBank,
    string? ListedBeneficiaryAccount, string? DefaultBeneficiaryReference, string? BeneficiaryAccountNumber, string? BeneficiaryName,
    string? BeneficiaryAccountType, string? BeneficiaryBank, string? Hash, int? IsAuthorisation, Guid? CardToken, int? CardToken3ds);

public sealed record DirectPaymentForm(
    string Pan, string Expiry, string Cvv, decimal Amount, string MerchantReference, string? FirstName, string? LastName,
    string? ReturnUrl, string? NotifyUrl, string? CurrencyCode);

public sealed record SettleForm(string? GatewayReference, long? GatewayTransactionId, decimal? Amount);

public sealed record RefundForm(decimal? Amount);
