using Gateway.Api;
using Gateway.Payments;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Gateway.Hosting;

/// <summary>
/// The OpenAPI description of every HTTP function, made by ASP.NET Core's OpenAPI generator from the endpoints the
/// local host routes to (<see cref="HttpFunctionEndpoints"/>). It is generated in a small container of its own,
/// never started, so the Functions host, whose worker routes by functions.metadata instead, serves the very same
/// document. Made once, on first request.
/// </summary>
public sealed class OpenApiDescription(IOptions<PaymentOptions> payments)
{
    public const string DocumentName = "v1";

    private readonly Lazy<Task<string>> _json = new(() => GenerateAsync(payments.Value.BaseUri));

    public Task<string> GetJsonAsync() => _json.Value;

    private static async Task<string> GenerateAsync(Uri publicBaseUri)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddOpenApi(DocumentName, options => Configure(options, publicBaseUri));
        builder.Services.AddSingleton<EndpointDataSource>(services => 
            new HttpFunctionEndpoints(FunctionCatalog.Gateway, services, forRouting: false));
        await using var container = builder.Build();
        var document = await container.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync();
        using var json = new MemoryStream();
        await document.SerializeAsJsonAsync(json, OpenApiSpecVersion.OpenApi3_1);
        return System.Text.Encoding.UTF8.GetString(json.ToArray());
    }

    /// <summary>What each group of functions is for (every tag a function uses needs one).</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Authentication"] = "Bearer tokens from a user's username and password, for callers that keep no password.",
        ["API keys"] = "An organisation's keys for server-to-server calls (x-api-key), created and revoked by its " +
            "administrators; a test key only ever reaches the simulator.",
        ["Organisations"] = "Merchant organisations: their settings, services, webhook URLs and test clock.",
        ["Users"] = "An organisation's users (administrators and agents) and the platform's operators.",
        ["Payments"] = "Payment keys for the hosted pages, direct card payments, authorisations and their settlement.",
        ["Transactions"] = "The ledger: transactions by id or reference, lists, CSV exports and refunds.",
        ["Cards"] = "Card tokens: a card stored once (encrypted, never its CVV) and charged later by token.",
        ["Payment schedules"] = "Recurring charges of a stored card, run by the gateway on their dates.",
        ["Webhooks"] = "Signed notifications of transaction events, their delivery log and manual resends.",
        ["Express"] = "Express pay-by-link: a payment link sent to the payer by SMS or e-mail.",
        ["Codes"] = "Payable codes (document 004): ten digits a payer scans as a QR code, taps or types, or pays in an " +
            "app. Errors use the document's statuses: 431 no such code, 439 not a code, 440 validation error, 513 " +
            "another merchant's code; invalid credentials are 403.",
        ["Cashier"] = "The cashier (document 003): deposits and payouts of a merchant's users through the hosted " +
            "cashier (/cashier/{token}), straight to a provider or server to server, payouts approved or rejected by " +
            "the merchant, and signed JSON webhooks (x-signature). Bodies are {\"request\": {...}}; x-api-key.",
        ["Collections"] = "Collections (document 002): debit orders from customers' bank accounts under mandates (EFT " +
            "debit order or DebiCheck), submitted to the bank by the CollectionsSubmission timer on their action dates " +
            "(Sundays and public holidays move to the next business day), and the bank's answers as transactions and " +
            "batched webhooks ({\"transactions\": [...]}). Ids are prefixed strings (cus_, ban_, man_, pay_, tra_).",
        ["Console"] = "The merchant console's pages (/console): server-rendered HTML for an organisation's users, signed in " +
            "with a session cookie; forms carry a CSRF token. Failures are pages, never the API's JSON error.",
        ["Notifications"] = "The SMS and e-mail messages sent for express links and receipts (local runs keep them " +
            "for viewing).",
        ["Hosted pages"] = "The pages payers see: card, EFT and 3-D Secure payment pages, receipts and the checkout " +
            "script. Failures are pages, never the API's JSON error.",
        [HostedPages.EftxApi.Tag] = "The self-hosted EFT plugin (/js/eft-secure.min.js, /css/eftx.css) and the JSON API it " +
            "calls for a payment key from the merchant's own page: anonymous, readable from any origin (CORS), never cached.",
        ["Platform"] = "Health, the API's constants and this description.",
    };

    private static void Configure(OpenApiOptions options, Uri publicBaseUri)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Payment Gateway API",
                Version = "v1",
                Description =
                    "Bodies are application/x-www-form-urlencoded in PHP bracket notation (User[name]=x, serviceId[]=1, " +
                    "serviceId[3]=25) or JSON of the same structure ({\"User\":{\"name\":\"x\"}}). Authenticate with HTTP basic " +
                    "auth, a bearer token from POST /api/v1/token (in the Authorization header, or as a token parameter in " +
                "the query or the body), or an x-api-key header. Every error is {name, message, code, " +
                    "status, type}. Times are \"yyyy-MM-dd HH:mm:ss\" in the organisation's time zone. Every response carries " +
                    "X-Request-Id.",
            };
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            {
                tag.Description = TagDescriptions.GetValueOrDefault(tag.Name ?? "");
            }
            // The gateway's public address, as configured: links and examples point at it, not at whoever asked.
            document.Servers = [new OpenApiServer { Url = publicBaseUri.GetLeftPart(UriPartial.Authority) }];
            // The three ways to authenticate; each operation's 401/403 responses say when they are needed.
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                ["basic"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "basic" },
                ["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "A token from POST /api/v1/token.",
                },
                ["apiKey"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "x-api-key" },
                ["tokenParameter"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Query, Name = "token",
                    Description = "A token from POST /api/v1/token, as a parameter (it may also be a body field).",
                },
            };
            document.Security =
            [
                .. new[] { "basic", "bearer", "apiKey", "tokenParameter" }
                    .Select(name => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] }),
            ];
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<AcceptsIdempotencyKeyAttribute>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "Idempotency-Key",
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = AcceptsIdempotencyKeyAttribute.Description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
                });
            }
            return Task.CompletedTask;
        });
    }
}
