using System.Text.Json.Serialization;

namespace Gateway.Identity;

// Request body shapes, for the OpenAPI description only: handlers read bodies through RequestForm and the
// *Fields records, which accept these shapes as JSON or as PHP-bracket form fields.

public sealed record UserForm([property: JsonPropertyName("User")] UserFormFields User);

public sealed record UserFormFields(
    string? Username, string? Role, string? Password, string? Name, string? Lastname,
    string? Email, string? ContactNumber, string? Extension);

public sealed record OrganisationCreateForm(
    [property: JsonPropertyName("Organisation")] OrganisationFormFields Organisation,
    [property: JsonPropertyName("User")] UserFormFields User);

public sealed record OrganisationUpdateForm([property: JsonPropertyName("Organisation")] OrganisationFormFields Organisation);

public sealed record OrganisationFormFields(string? Name, string? Currency, string? Timezone, string? Mode,
    [property: JsonPropertyName("webhook_success_url")] string? WebhookSuccessUrl = null,
    [property: JsonPropertyName("webhook_error_url")] string? WebhookErrorUrl = null,
    [property: JsonPropertyName("webhook_refund_url")] string? WebhookRefundUrl = null,
    [property: JsonPropertyName("webhook_secret_rotate")] string? WebhookSecretRotate = null,
    [property: JsonPropertyName("three_d_secure")] string? ThreeDSecure = null,
    [property: JsonPropertyName("receipt_sms_template")] string? ReceiptSmsTemplate = null,
    [property: JsonPropertyName("receipt_email_subject")] string? ReceiptEmailSubject = null,
    [property: JsonPropertyName("receipt_email_template")] string? ReceiptEmailTemplate = null,
    [property: JsonPropertyName("basket_limits")] int? BasketLimits = null,
    [property: JsonPropertyName("cashier_webhook_url")] string? CashierWebhookUrl = null,
    [property: JsonPropertyName("collections_webhook_url")] string? CollectionsWebhookUrl = null,
    [property: JsonPropertyName("signature_password_rotate")] string? SignaturePasswordRotate = null,
    [property: JsonPropertyName("payment_partitions")] int? PaymentPartitions = null);

/// <summary><c>serviceId[]=1&amp;serviceId[]=2</c>.</summary>
public sealed record ServiceIdListForm([property: JsonPropertyName("serviceId")] IReadOnlyList<int> ServiceId);

/// <summary><c>serviceId[1]=25&amp;serviceId[2]=35</c>.</summary>
public sealed record ServiceIdCountsForm([property: JsonPropertyName("serviceId")] IReadOnlyDictionary<string, int> ServiceId);

public sealed record ApiKeyForm([property: JsonPropertyName("ApiKey")] ApiKeyFormFields ApiKey);

public sealed record ApiKeyFormFields(string? Mode, string? Name);

/// <summary><c>now=2027-01-31 09:00:00</c>: the test clock's new time, in the organisation's time zone.</summary>
public sealed record TestClockForm(string Now);
