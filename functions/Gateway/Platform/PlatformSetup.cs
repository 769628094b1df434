using Gateway.Api;

namespace Gateway.Platform;

public static class PlatformSetup
{
    /// <summary>Storage, ids, request limits, the API's JSON conventions.</summary>
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
        return services;
    }
}
