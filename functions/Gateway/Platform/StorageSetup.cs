using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Platform;

/// <summary>Where the gateway keeps its data. The Functions host's own storage setting is the default.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Falls back to <c>AzureWebJobsStorage</c>, the setting the Functions host itself uses.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Create the gateway's tables at start-up (idempotent). Off when infrastructure provisions them.</summary>
    public bool CreateTablesOnStartup { get; set; } = true;

    public StorageRetryOptions Retry { get; set; } = new();
}

/// <summary>The gateway's tables, by name. Each feature's storage code takes the ones it needs from here.</summary>
public sealed class GatewayTables(TableServiceClient service)
{
    public TableClient Identity { get; } = service.GetTableClient("Identity");
    public TableClient Logins { get; } = service.GetTableClient("Logins");
    public TableClient Tokens { get; } = service.GetTableClient("Tokens");
    public TableClient ApiKeys { get; } = service.GetTableClient("ApiKeys");
    public TableClient Counters { get; } = service.GetTableClient("Counters");

    /// <summary>Transactions, payment keys, their index rows, outbox events and idempotency records, by organisation.</summary>
    public TableClient Payments { get; } = service.GetTableClient("Payments");

    /// <summary>Payment keys and 3-D Secure sessions to their organisation, for the pages payers use without credentials.</summary>
    public TableClient Lookups { get; } = service.GetTableClient("Lookups");

    public IEnumerable<TableClient> All => [Identity, Logins, Tokens, ApiKeys, Counters, Payments, Lookups];
}

public static class StorageSetup
{
    public const string HttpClientName = "storage";

    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .PostConfigure(o => o.ConnectionString ??= configuration["AzureWebJobsStorage"])
            .Validate(o => TryParse(o.ConnectionString) is not null,
                "Storage:ConnectionString (or AzureWebJobsStorage) must be a valid storage connection string, e.g. UseDevelopmentStorage=true.")
            .ValidateOnStart();

        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton(sp => StorageAccount.Parse(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString!));
        services.AddSingleton(sp => new TableServiceClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<StorageAccount>(),
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.Retry,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new QueueServiceClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<StorageAccount>(),
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.Retry,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<GatewayTables>();
        services.AddHostedService<TableInitializer>();
        return services;
    }

    private static StorageAccount? TryParse(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return null;
        try
        {
            return StorageAccount.Parse(connectionString);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Creates the tables before the app takes traffic, all at once so start-up pays one round trip of latency.</summary>
    private sealed class TableInitializer(GatewayTables tables, IOptions<StorageOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => options.Value.CreateTablesOnStartup
            ? Task.WhenAll(tables.All.Select(t => t.CreateIfNotExistsAsync(cancellationToken)))
            : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
