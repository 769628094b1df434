using System.Text.Json.Serialization;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// A user as the API documents it. <c>contact_number</c> and <c>extension</c> are strings so leading zeros survive
/// (the document's <c>0821234567</c> is not valid JSON as a number). <c>role</c> and <c>services</c> (the ids of the
/// services the user is activated for) go beyond the document, so administrators can see what they set.
/// </summary>
public sealed record UserResponse(
    long Id,
    string? Name,
    string? Lastname,
    string Username,
    string? Email,
    string? ContactNumber,
    long? OrganisationId,
    string Created,
    string? Extension,
    string Role,
    IReadOnlyList<int> Services)
{
    public static UserResponse From(User user, TimeZoneInfo zone) => new(
        user.Id, user.Name, user.Lastname, user.Username, user.Email, user.ContactNumber, user.OrganisationId,
        ApiTime.Show(user.Created, zone), user.Extension, user.Role, user.Services);
}

/// <summary>
/// An organisation's settings. <c>api_salt</c> (for signing beneficiary details) is shown to people, administrators
/// and operators, not to API keys, as are the webhook secret and the cashier's <c>signature_password</c>.
/// <c>test_clock</c> is the time its test clock stands at, or null on real time.
/// </summary>
public sealed record OrganisationResponse(
    long Id,
    string Name,
    string Currency,
    string Timezone,
    string Mode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiSalt,
    string Created,
    string? TestClock,
    IReadOnlyList<LicenceResponse> Licenses,
    string? WebhookSuccessUrl,
    string? WebhookErrorUrl,
    string? WebhookRefundUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WebhookSecret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WebhookPreviousSecret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WebhookPreviousSecretExpires,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LivePayments,
    string ThreeDSecure,
    string ReceiptSmsTemplate,
    string ReceiptEmailSubject,
    string ReceiptEmailTemplate,
    int BasketLimits,
    string? CashierWebhookUrl,
    string? CollectionsWebhookUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SignaturePassword,
    int PaymentPartitions)
{
    /// <summary>
    /// The organisation as its users and keys see it. A live organisation's <c>live_payments</c> says whether it can
    /// take payments (<c>available</c>, or why not).
    /// </summary>
    public static OrganisationResponse From(Organisation o, ILivePayments live, bool showSalt = true)
    {
        var licences = o.Licences
            .OrderBy(l => l.Key)
            .Select(l => new LicenceResponse(l.Key, Services.Find(l.Key)?.Name ?? "", l.Value, o.LicencesInUse.GetValueOrDefault(l.Key)))
            .ToList();
        // The signing secrets are shown with the salt, to users only: an API key must not be able to forge webhooks.
        var hooks = o.Webhooks;
        // The previous secret is shown with the time it stops signing (past once its overlap has ended).
        var previous = showSalt ? hooks.PreviousSecret : null;
        return new(o.Id, o.Name, o.Currency, o.TimeZone, o.Mode, showSalt ? o.ApiSalt : null, ApiTime.Show(o.Created, o.TimeZone),
            o.TestClock is { } clock ? ApiTime.Show(clock, o.TimeZone) : null, licences,
            hooks.SuccessUrl, hooks.ErrorUrl, hooks.RefundUrl, showSalt ? hooks.Secret : null,
            previous, previous is null ? null : ApiTime.Show(hooks.PreviousSecretUntil!.Value, o.TimeZone),
            o.Mode != OrganisationModes.Live ? null : live.Unavailable is { } why ? $"unavailable: {why}" : "available",
            o.ThreeDSecure, o.Receipts.SmsText, o.Receipts.EmailSubjectText, o.Receipts.EmailBodyText, o.BasketLimits ? 1 : 0,
            hooks.CashierUrl, hooks.CollectionsUrl, showSalt ? hooks.SignaturePassword : null, o.PaymentPartitions.Count);
    }
}

public sealed record LicenceResponse(int ServiceId, string Service, int Licenses, int InUse);

/// <summary>The response of <c>POST /api/v1/organisation</c>: the organisation and its first administrator.</summary>
public sealed record OrganisationCreatedResponse(
    [property: JsonPropertyName("Organisation")] OrganisationResponse Organisation,
    [property: JsonPropertyName("User")] UserResponse User);

/// <summary><c>PUT .../licenseupdate</c>, as documented: counts as strings under <c>Services.serviceId</c>.</summary>
public sealed record LicenceUpdateResponse(
    [property: JsonPropertyName("Organisation")] string Organisation,
    [property: JsonPropertyName("Services")] LicenceCounts Services);

public sealed record LicenceCounts([property: JsonPropertyName("serviceId")] IReadOnlyDictionary<string, string> ServiceId);

/// <summary><c>PUT /api/v1/user/{id}/activate</c> and <c>/deactivate</c>, as documented.</summary>
public sealed record ActivationResponse(
    [property: JsonPropertyName("services")] IReadOnlyDictionary<string, string> Services,
    [property: JsonPropertyName("User")] ActivationUser User);

public sealed record ActivationUser(long Id, string? Name, string? Lastname, string? Email, string Username);

public sealed record TokenResponse(string Token, string Expires);

/// <summary>An API key; <c>key</c> only in the response that creates it.</summary>
public sealed record ApiKeyResponse(
    string Id, string? Name, string Mode, string Prefix, string Created,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key);

public sealed record ConstantsResponse(IReadOnlyList<Service> Services, IReadOnlyList<PaymentGateway> Gateways, IReadOnlyList<string> Roles);
