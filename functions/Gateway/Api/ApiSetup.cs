namespace Gateway.Api;

public static class ApiSetup
{
    /// <summary>Request limits and the API's JSON conventions.</summary>
    public static IServiceCollection AddGatewayApi(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .Validate(o => o.MaxBodyBytes is >= 1024 and <= 64 * 1024 * 1024,
                "Api:MaxBodyBytes must be between 1 KiB and 64 MiB.")
            .ValidateOnStart();
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        return services;
    }
}
