using Gateway.Identity;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

public static class WebhooksSetup
{
    public static IServiceCollection AddGatewayWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookLog>();
        services.AddHttpClient(WebhookDelivery.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // A redirect is a failed attempt: following one would let a vetted URL send the event somewhere unvetted.
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                ConnectCallback = sp.GetRequiredService<WebhookUrls>().ConnectAsync,
                ConnectTimeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout,
            });
        return services;
    }
}
