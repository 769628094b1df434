namespace Gateway.Codes;

public static class CodesSetup
{
    public static IServiceCollection AddGatewayCodes(this IServiceCollection services)
    {
        services.AddSingleton<CodeStore>();
        services.AddSingleton<CodeService>();
        services.AddSingleton<CodeLookupLimiter>();
        services.AddSingleton<Payments.IPaymentEventFollower, CodePaidNotifier>();
        return services;
    }
}
