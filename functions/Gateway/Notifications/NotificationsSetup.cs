using Gateway.Express;
using Microsoft.Extensions.Options;

namespace Gateway.Notifications;

public static class NotificationsSetup
{
    /// <summary>The SMS and e-mail notifications of express links: their queue and senders.</summary>
    public static IServiceCollection AddGatewayNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.Section)
            .Validate(o => !o.Problems().Any(), "Notifications settings are invalid: " +
                "Sms:Provider local|http (http needs Sms:Url and Sms:Token), Email:Provider local|smtp (smtp needs Email:Smtp:Host and From).")
            .ValidateOnStart();
        services.AddSingleton<NotificationQueue>();
        services.AddSingleton<IExpressNotifications>(sp => sp.GetRequiredService<NotificationQueue>());
        services.AddSingleton<Codes.ICodeNotifications>(sp => sp.GetRequiredService<NotificationQueue>());
        services.AddSingleton<CodePaidSender>();
        services.AddSingleton<LocalNotificationStore>();
        services.AddSingleton<ReceiptSender>();
        services.AddSingleton<HttpSmsSender>();
        services.AddHttpClient(HttpSmsSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<ISmsSender>(sp => sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Sms.Provider == SmsOptions.Http
            ? sp.GetRequiredService<HttpSmsSender>()
            : sp.GetRequiredService<LocalNotificationStore>());
        services.AddSingleton<SmtpEmailSender>();
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Email.Provider == EmailOptions.SmtpProvider
            ? sp.GetRequiredService<SmtpEmailSender>()
            : sp.GetRequiredService<LocalNotificationStore>());
        services.AddHostedService<QueueInitializer>();
        return services;
    }

    /// <summary>Creates the notifications queue before traffic, as the tables are created.</summary>
    private sealed class QueueInitializer(NotificationQueue queue, IOptions<Platform.StorageOptions> storage) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            storage.Value.CreateTablesOnStartup ? queue.Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
