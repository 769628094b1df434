using Gateway.Identity;

namespace Gateway.Payments;

public static class PaymentsSetup
{
    public static IServiceCollection AddGatewayPayments(this IServiceCollection services)
    {
        services.AddOptions<PaymentOptions>()
            .BindConfiguration(PaymentOptions.Section)
            .Validate(o => PaymentOptions.IsValidBaseUrl(o.PublicBaseUrl),
                "Payments:PublicBaseUrl must be an absolute http(s) URL without a path, e.g. https://pay.example.com.")
            // Deployed, the default (localhost) would send payers nowhere, and card pages need https.
            .Validate<IConfiguration>((o, configuration) =>
                    !Platform.FunctionsEnvironment.UnderFunctionsHost(configuration)
                    || o.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
                "Payments:PublicBaseUrl must be the gateway's https address under the Functions host.")
            .Validate(o => o.PaymentKeyLifetime >= TimeSpan.FromMinutes(5) && o.PaymentKeyLifetime <= TimeSpan.FromDays(90),
                "Payments:PaymentKeyLifetime must be between 5 minutes and 90 days.")
            .Validate(o => o.IdempotencyRetention >= TimeSpan.FromDays(1) && o.IdempotencyLease >= TimeSpan.FromSeconds(5),
                "Payments:IdempotencyRetention must be at least a day and Payments:IdempotencyLease at least 5 seconds.")
            .Validate(o => PaymentOptions.IsValidSecret(o.SecretKey), "Payments:SecretKey must be base64 of at least 32 bytes.")
            .Validate<Platform.StorageConnection>((o, storage) => o.SecretKey is not null || !storage.UsesIdentity,
                "Payments:SecretKey must be set (from a secret store) when storage is reached by identity: there is no account key to derive it from.")
            .Validate(o => System.Text.RegularExpressions.Regex.IsMatch(o.EventQueue, "^[a-z0-9](?!.*--)[a-z0-9-]{1,46}[a-z0-9]$"),
                "Payments:EventQueue must be a queue name of 3 to 48 lower-case letters, digits and single dashes.")
            .ValidateOnStart();

        // The card vault: stored cards, encrypted, in the organisation's ledger partition.
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

        services.AddSingleton<SimulatedAcquirer>();
        // Live payments go to the acquirer connector registered as IAcquirer (see README, "Acquirer connectors");
        // with none, a live organisation's payments are refused. Test mode always uses the simulator.
        services.AddSingleton<AcquirerRouter>();
        services.AddSingleton<ILivePayments>(sp => sp.GetRequiredService<AcquirerRouter>());
        services.AddSingleton<PaymentSecrets>();
        services.AddSingleton<PaymentStore>();
        services.AddSingleton<PaymentEvents>();
        services.AddSingleton<Idempotency>();
        services.AddSingleton<PaymentService>();
        services.AddSingleton<HostedPayments>();
        services.AddSingleton<RefundService>();
        services.AddSingleton<AuthorisationService>();
        services.AddHostedService<EventQueueInitializer>();
        return services;
    }

    /// <summary>Creates the outbox's delivery queue before traffic, as the tables are created.</summary>
    private sealed class EventQueueInitializer(PaymentEvents events, Microsoft.Extensions.Options.IOptions<Platform.StorageOptions> storage) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            storage.Value.CreateTablesOnStartup ? events.Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
