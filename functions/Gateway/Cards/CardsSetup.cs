namespace Gateway.Cards;

public static class CardsSetup
{
    public static IServiceCollection AddGatewayCards(this IServiceCollection services)
    {
        services.AddOptions<VaultOptions>()
            .BindConfiguration(VaultOptions.Section)
            .Validate(VaultOptions.IsValid,
                "CardVault:Keys must map key ids (1-16 letters and digits) to base64 of 32 bytes, and CardVault:ActiveKey must name one of them (or neither is set).")
            .ValidateOnStart();
        services.AddSingleton<CardCipher>();
        services.AddSingleton<CardVault>();
        services.AddSingleton<CardTokens>();
        return services;
    }
}
