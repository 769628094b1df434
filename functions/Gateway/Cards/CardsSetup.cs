namespace Gateway.Cards;

public static class CardsSetup
{
    public static IServiceCollection AddGatewayCards(this IServiceCollection services)
    {
        services.AddSingleton<CardTokens>();
        return services;
    }
}
