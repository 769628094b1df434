using Gateway.Identity;
using Gateway.Notifications;
using Gateway.Payments;
using Gateway.Webhooks;

namespace Gateway.Hosting;

/// <summary>
/// Every function of the app, once. Feature folders map their endpoints with these definitions
/// (<see cref="FunctionEndpoints.MapFunction"/>), the deployment step writes one function.json per entry
/// (<see cref="FunctionManifest"/>), and tests prove the two agree.
/// </summary>
public static class Functions
{
    private static readonly string[] Get = ["GET"];
    private static readonly string[] Post = ["POST"];
    private static readonly string[] Put = ["PUT"];
    private static readonly string[] Delete = ["DELETE"];

    // Platform
    public static readonly HttpFunction Health = new("Health", Get, "api/health");
    public static readonly HttpFunction OpenApiDocument = new("OpenApiDocument", Get, "openapi/{documentName}.json");
    public static readonly HttpFunction ConstantsView = new("ConstantsView", Get, "api/v1/constants");
    public static readonly HttpFunction ApiNotFound = new("ApiNotFound", ["GET", "POST", "PUT", "PATCH", "DELETE"], "api/{*path}");

    // Identity
    public static readonly HttpFunction TokenCreate = new("TokenCreate", Post, "api/v1/token");
    public static readonly HttpFunction OrganisationCreate = new("OrganisationCreate", Post, "api/v1/organisation");
    public static readonly HttpFunction OrganisationView = new("OrganisationView", Get, "api/v1/organisation/{id}");
    public static readonly HttpFunction OrganisationUpdate = new("OrganisationUpdate", Put, "api/v1/organisation/{id}");
    public static readonly HttpFunction LicenceUpdate = new("LicenceUpdate", Put, "api/v1/organisation/{id}/licenseupdate");
    public static readonly HttpFunction UserList = new("UserList", Get, "api/v1/organisation/{id}/user");
    public static readonly HttpFunction UserView = new("UserView", Get, "api/v1/user/{id}");
    public static readonly HttpFunction UserCreate = new("UserCreate", Post, "api/v1/user");
    public static readonly HttpFunction UserUpdate = new("UserUpdate", Put, "api/v1/user/{id}");
    public static readonly HttpFunction UserActivate = new("UserActivate", Put, "api/v1/user/{id}/activate");
    public static readonly HttpFunction UserDeactivate = new("UserDeactivate", Put, "api/v1/user/{id}/deactivate");
    public static readonly HttpFunction ApiKeyCreate = new("ApiKeyCreate", Post, "api/v1/organisation/{id}/api-key");
    public static readonly HttpFunction ApiKeyList = new("ApiKeyList", Get, "api/v1/organisation/{id}/api-key");
    public static readonly HttpFunction ApiKeyRevoke = new("ApiKeyRevoke", Delete, "api/v1/organisation/{id}/api-key/{keyId}");
    public static readonly HttpFunction TestClockView = new("TestClockView", Get, "api/v1/organisation/{id}/test-clock");
    public static readonly HttpFunction TestClockSet = new("TestClockSet", Put, "api/v1/organisation/{id}/test-clock");
    public static readonly HttpFunction TestClockReset = new("TestClockReset", Delete, "api/v1/organisation/{id}/test-clock");
    public static readonly TimerFunction TokenSweep = new("TokenSweep", "0 17 * * * *", typeof(TokenSweep));

    // Payments
    public static readonly HttpFunction PaymentKeyCreate = new("PaymentKeyCreate", Post, "api/v1/payment-key");
    public static readonly HttpFunction PayDirect = new("PayDirect", Post, "api/v1/pay/direct");
    public static readonly HttpFunction PayAuth = new("PayAuth", Post, "api/v1/pay/auth");
    public static readonly HttpFunction PaySettle = new("PaySettle", Put, "api/v1/pay/settle");
    public static readonly HttpFunction PayReverse = new("PayReverse", Put, "api/v1/pay/reverse");
    public static readonly HttpFunction TransactionView = new("TransactionView", Get, "api/v1/gateway-transaction/{id}");
    public static readonly HttpFunction TransactionFind = new("TransactionFind", Get, "api/v1/gateway-transaction");
    public static readonly HttpFunction TransactionRefund = new("TransactionRefund", Put, "api/v1/gateway-transaction/refund/{id}");
    public static readonly HttpFunction OrganisationTransactionList = new("OrganisationTransactionList", Get, "api/v1/organisation/{id}/gateway-transaction");
    public static readonly HttpFunction UserTransactionList = new("UserTransactionList", Get, "api/v1/user/{id}/gateway-transaction");
    public static readonly HttpFunction TransactionExport = new("TransactionExport", Get, "api/v1/export/gateway-transactions");
    public static readonly TimerFunction PaymentSweep = new("PaymentSweep", "0 */5 * * * *", typeof(PaymentSweep));

    // Card vault and token payments
    public static readonly HttpFunction CardTokenCreate = new("CardTokenCreate", Post, "api/v1/customer-token");
    public static readonly HttpFunction CardTokenDirect = new("CardTokenDirect", Post, "api/v1/customer-token/direct");
    public static readonly HttpFunction CardTokenView = new("CardTokenView", Get, "api/v1/customer-token/{reference}");
    public static readonly HttpFunction CardTokenDelete = new("CardTokenDelete", Delete, "api/v1/customer-token/{reference}");
    public static readonly HttpFunction CardTokenPay = new("CardTokenPay", Post, "api/v1/customer-token/{guid}/pay");
    public static readonly HttpFunction CardTokenAuth = new("CardTokenAuth", Post, "api/v1/customer-token/{guid}/auth");
    public static readonly HttpFunction CardEnquiry = new("CardEnquiry", Post, "api/v1/card-enquiry");

    // Webhooks. The delivery queue is the outbox's, named by the Payments:EventQueue setting (a binding expression the
    // host resolves from app settings, and the local runner from configuration).
    public static readonly QueueFunction WebhookDelivery = new("WebhookDelivery", "%Payments:EventQueue%", typeof(WebhookDelivery));
    public static readonly TimerFunction WebhookSweep = new("WebhookSweep", "0 */5 * * * *", typeof(WebhookSweep));
    public static readonly HttpFunction TransactionWebhooks = new("TransactionWebhooks", Get, "api/v1/gateway-transaction/{id}/webhooks");
    public static readonly HttpFunction WebhookResend = new("WebhookResend", Post, "api/v1/gateway-transaction/resend-webhook/{id}");
    public static readonly HttpFunction WebhookEventView = new("WebhookEventView", Get, "api/v1/webhook-event/{id}");
    public static readonly HttpFunction WebhookRedeliver = new("WebhookRedeliver", Post, "api/v1/webhook-event/{id}/redeliver");
    public static readonly HttpFunction WebhookFailedList = new("WebhookFailedList", Get, "api/v1/organisation/{id}/webhook-event/failed");

    // Payment schedules
    public static readonly HttpFunction ScheduleCreate = new("ScheduleCreate", Post, "api/v1/payment-schedule");
    public static readonly HttpFunction ScheduleReplace = new("ScheduleReplace", Put, "api/v1/payment-schedule/{guid}");
    public static readonly HttpFunction ScheduleView = new("ScheduleView", Get, "api/v1/payment-schedule/{guid}");
    public static readonly HttpFunction ScheduleDeleteForCard = new("ScheduleDeleteForCard", Delete, "api/v1/payment-schedule/{guid}");
    public static readonly HttpFunction ScheduleDelete = new("ScheduleDelete", Delete, "api/v1/payment-schedule/id/{id}");
    public static readonly HttpFunction ScheduleOrganisationList = new("ScheduleOrganisationList", Get, "api/v1/payment-schedule/{id}/organisation");
    public static readonly TimerFunction PaymentScheduleRunner = new("PaymentScheduleRunner", "0 * * * * *", typeof(Schedules.PaymentScheduleRunner));

    // Hosted pages
    private static readonly string[] GetPost = ["GET", "POST"];
    public static readonly HttpFunction EftPage = new("EftPage", GetPost, "eft");
    public static readonly HttpFunction CardPage = new("CardPage", GetPost, "card");
    public static readonly HttpFunction ThreeDsPage = new("ThreeDsPage", GetPost, "gatewaytransactions/3ds");
    public static readonly HttpFunction ReceiptPage = new("ReceiptPage", Get, "receipt");
    public static readonly HttpFunction CheckoutScript = new("CheckoutScript", Get, "ext/checkout/v3/checkout.js");

    // Express pay-by-link and notifications
    public static readonly HttpFunction ExpressSms = new("ExpressSms", Post, "api/v1/express/sms");
    public static readonly HttpFunction ExpressEmail = new("ExpressEmail", Post, "api/v1/express/email");
    public static readonly HttpFunction ExpressCancel = new("ExpressCancel", Delete, "api/v1/express");
    public static readonly HttpFunction ExpressLinkPage = new("ExpressLinkPage", Get, "u/{code}");
    public static readonly HttpFunction NotificationList = new("NotificationList", Get, "api/v1/organisation/{id}/notifications");
    public static readonly QueueFunction NotificationSender = new("NotificationSender", "notifications", typeof(NotificationSender));

    public static IReadOnlyList<FunctionDefinition> All { get; } =
    [
        Health, OpenApiDocument, ConstantsView, ApiNotFound,
        TokenCreate, OrganisationCreate, OrganisationView, OrganisationUpdate, LicenceUpdate,
        UserList, UserView, UserCreate, UserUpdate, UserActivate, UserDeactivate,
        ApiKeyCreate, ApiKeyList, ApiKeyRevoke, TestClockView, TestClockSet, TestClockReset, TokenSweep,
        PaymentKeyCreate, PayDirect, PayAuth, PaySettle, PayReverse,
        TransactionView, TransactionFind, TransactionRefund, OrganisationTransactionList, UserTransactionList, TransactionExport, PaymentSweep,
        CardTokenCreate, CardTokenDirect, CardTokenView, CardTokenDelete, CardTokenPay, CardTokenAuth, CardEnquiry,
        WebhookDelivery, WebhookSweep, TransactionWebhooks, WebhookResend, WebhookEventView, WebhookRedeliver, WebhookFailedList,
        ScheduleCreate, ScheduleReplace, ScheduleView, ScheduleDeleteForCard, ScheduleDelete, ScheduleOrganisationList, PaymentScheduleRunner,
        EftPage, CardPage, ThreeDsPage, ReceiptPage, CheckoutScript,
        ExpressSms, ExpressEmail, ExpressCancel, ExpressLinkPage, NotificationList, NotificationSender,
    ];
}
