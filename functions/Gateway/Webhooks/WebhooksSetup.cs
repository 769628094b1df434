using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

public static class WebhooksSetup
{
    public static IServiceCollection AddGatewayWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.Section)
            .Validate(o => WebhookOptions.ParseSchedule(o.RetrySchedule) is not null,
                "Webhooks:RetrySchedule must be comma-separated delays such as 1m,5m,2h,1d (each above zero and at most 7 days).")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(5), "Webhooks:Timeout must be above zero and at most 5 minutes.")
            .Validate(o => o.SecretOverlap >= TimeSpan.Zero && o.SweepAfter >= TimeSpan.FromMinutes(1),
                "Webhooks:SecretOverlap must not be negative and Webhooks:SweepAfter must be at least a minute.")
            .ValidateOnStart();

        // Tests replace the resolver to test the guard without real DNS.
        ResolveHost dns = Dns.GetHostAddressesAsync;
        services.TryAddSingleton(dns);
        services.AddSingleton<WebhookUrls>();
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
