namespace Gateway.MerchantConsole;

public static class ConsoleSetup
{
    public static IServiceCollection AddGatewayConsole(this IServiceCollection services)
    {
        services.AddSingleton<ConsoleAuth>();
        services.AddSingleton<ConsoleRun>();
        return services;
    }
}
