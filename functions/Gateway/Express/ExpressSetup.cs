namespace Gateway.Express;

public static class ExpressSetup
{
    /// <summary>Express pay-by-link; its notifications come from the notifications feature.</summary>
    public static IServiceCollection AddGatewayExpress(this IServiceCollection services)
    {
        services.AddSingleton<ExpressStore>();
        services.AddSingleton<ExpressFileStore>();
        services.AddSingleton<ExpressService>();
        return services;
    }
}
