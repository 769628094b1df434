using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Gateway.Collections;

public static class CollectionsSetup
{
    public static IServiceCollection AddGatewayCollections(this IServiceCollection services)
    {
        services.AddOptions<CollectionsOptions>()
            .BindConfiguration(CollectionsOptions.Section)
            .Validate(o => o.BatchSize is >= 1 and <= 49, "Collections:BatchSize must be 1 to 49 (a batch commits in one 100-row transaction).")
            .Validate(o => o.Parallelism is >= 1 and <= 64, "Collections:Parallelism must be 1 to 64.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.BankResultsQueue), "Collections:BankResultsQueue must be set.")
            .ValidateOnStart();
        services.AddSingleton<DebitOrderCalendar>();
        services.AddSingleton<CollectionsStore>();
        services.AddSingleton<CollectionsService>();
        services.AddSingleton<CollectionsEvents>();
        services.AddSingleton<ICollectionsBank, SimulatedCollectionsBank>();
        services.AddHostedService<QueueInitializer>();
        return services;
    }

    /// <summary>Creates the bank results queue before the listener polls it, as the tables are created.</summary>
    private sealed class QueueInitializer(QueueServiceClient queues, IOptions<CollectionsOptions> options,
        IOptions<Platform.StorageOptions> storage) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => storage.Value.CreateTablesOnStartup
            ? queues.GetQueueClient(options.Value.BankResultsQueue).CreateIfNotExistsAsync(cancellationToken: cancellationToken)
            : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
