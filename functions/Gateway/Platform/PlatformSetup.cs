using Gateway.Api;
using Microsoft.OpenApi;

namespace Gateway.Platform;

public static class PlatformSetup
{
    /// <summary>Storage, ids, request limits, the API's JSON conventions and its OpenAPI description.</summary>
    public static IServiceCollection AddGatewayPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGatewayStorage(configuration);
        services.AddSingleton<IdAllocator>();
        services.AddOptions<IdOptions>()
            .BindConfiguration(IdOptions.Section)
            .Validate(o => o.BlockSize is >= 1 and <= 1000, "Ids:BlockSize must be between 1 and 1000.")
            .ValidateOnStart();
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .Validate(o => o.MaxBodyBytes is >= 1024 and <= 64 * 1024 * 1024, "Api:MaxBodyBytes must be between 1 KiB and 64 MiB.")
            .ValidateOnStart();
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Payment Gateway API",
                Version = "v1",
                Description =
                    "Bodies are application/x-www-form-urlencoded in PHP bracket notation (User[name]=x, serviceId[]=1, serviceId[3]=25) " +
                    "or JSON of the same structure ({\"User\":{\"name\":\"x\"}}). Authenticate with HTTP basic auth, a bearer token from " +
                    "POST /api/v1/token, or an x-api-key header. Every error is {name, message, code, status, type}. Times are " +
                    "\"yyyy-MM-dd HH:mm:ss\" in the organisation's time zone. Every response carries X-Request-Id.",
            };
            // The three ways to authenticate; each operation's 401/403 responses say when they are needed.
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                ["basic"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "basic" },
                ["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "A token from POST /api/v1/token." },
                ["apiKey"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "x-api-key" },
            };
            document.Security =
            [
                .. new[] { "basic", "bearer", "apiKey" }.Select(name => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] }),
            ];
            return Task.CompletedTask;
        }));
        return services;
    }
}
