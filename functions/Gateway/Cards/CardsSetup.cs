namespace Gateway.Cards;

public static class CardsSetup
{
    public static IServiceCollection AddGatewayCards(this IServiceCollection services)
    {
        services.AddOptions<VaultOptions>()
            .BindConfiguration(VaultOptions.Section)
            .Validate(VaultOptions.IsValid,
                "CardVault:Keys must map key ids (1-16 letters and digits) to base64 of 32 bytes, and CardVault:ActiveKey must name one of them (or neither is set).")
            // The key derived from the storage account key is for local runs: deployed, storage access alone would
            // open every card, and a routine rotation of the storage key would lose them all.
            .Validate<IConfiguration>((o, configuration) => o.Keys.Count > 0 || !Platform.FunctionsEnvironment.UnderFunctionsHost(configuration),
                "CardVault:Keys and CardVault:ActiveKey must be configured (from a secret store) when running under the Functions host.")
            .Validate<Platform.StorageConnection>((o, storage) => o.Keys.Count > 0 || !storage.UsesIdentity,
                "CardVault:Keys and CardVault:ActiveKey must be configured (from a secret store) when storage is reached by identity.")
            .ValidateOnStart();
        services.AddSingleton<CardCipher>();
        services.AddSingleton<CardVault>();
        services.AddSingleton<CardTokens>();
        return services;
    }
}
