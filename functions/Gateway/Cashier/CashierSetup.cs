namespace Gateway.Cashier;

public static class CashierSetup
{
    public static IServiceCollection AddGatewayCashier(this IServiceCollection services)
    {
        services.AddOptions<CashierOptions>()
            .BindConfiguration(CashierOptions.Section)
            .Validate(o => CashierOptions.AreValidRates(o.FxRates),
                "Cashier:FxRates must map supported currencies to positive rates.")
            .Validate(o => o.FxMargin is >= 0 and <= 0.1m, "Cashier:FxMargin must be between 0 and 0.1.")
            .Validate(o => o.SessionLifetime >= TimeSpan.FromMinutes(5) && o.SessionLifetime <= TimeSpan.FromDays(7),
                "Cashier:SessionLifetime must be between 5 minutes and 7 days.")
            .ValidateOnStart();
        services.AddSingleton<CashierStore>();
        services.AddSingleton<CashierService>();
        services.AddSingleton<SimulatedPayoutBank>();
        return services;
    }
}
