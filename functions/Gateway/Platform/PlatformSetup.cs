namespace Gateway.Platform;

public static class PlatformSetup
{
    /// <summary>Storage and ids.</summary>
    public static IServiceCollection AddGatewayPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGatewayStorage(configuration);
        services.AddSingleton<IdAllocator>();
        services.AddOptions<IdOptions>()
            .BindConfiguration(IdOptions.Section)
            .Validate(o => o.BlockSize is >= 1 and <= 1000, "Ids:BlockSize must be between 1 and 1000.")
            .ValidateOnStart();
        return services;
    }
}
