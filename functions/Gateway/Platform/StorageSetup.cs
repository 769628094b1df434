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

    /// <summary>
    /// Put before every table name, so several deployments (or test runs) can share one storage account without
    /// sharing data. Letters and digits, starting with a letter; empty by default.
    /// </summary>
    public string TablePrefix { get; set; } = "";

    public StorageRetryOptions Retry { get; set; } = new();
}

/// <summary>The gateway's tables, by name. Each feature's storage code takes the ones it needs from here.</summary>
public sealed class GatewayTables(TableServiceClient service, string prefix = "")
{
    public TableClient Identity { get; } = service.GetTableClient(prefix + "Identity");
    public TableClient Logins { get; } = service.GetTableClient(prefix + "Logins");
    public TableClient Tokens { get; } = service.GetTableClient(prefix + "Tokens");
    public TableClient ApiKeys { get; } = service.GetTableClient(prefix + "ApiKeys");
    public TableClient Counters { get; } = service.GetTableClient(prefix + "Counters");

    /// <summary>Transactions, payment keys, their index rows, outbox events and idempotency records, by organisation.</summary>
    public TableClient Payments { get; } = service.GetTableClient(prefix + "Payments");

    /// <summary>Payment keys and 3-D Secure sessions to their organisation, for the pages payers use without credentials.</summary>
    public TableClient Lookups { get; } = service.GetTableClient(prefix + "Lookups");

    /// <summary>What the local SMS and e-mail senders kept instead of sending, by organisation.</summary>
    public TableClient Notifications { get; } = service.GetTableClient(prefix + "Notifications");

    /// <summary>Express e-mail attachments, in 64 KB rows, until their e-mail is sent.</summary>
    public TableClient ExpressFiles { get; } = service.GetTableClient(prefix + "ExpressFiles");

    public IEnumerable<TableClient> All => [Identity, Logins, Tokens, ApiKeys, Counters, Payments, Lookups, Notifications, ExpressFiles];
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
            .Validate(o => o.TablePrefix.Length == 0 || System.Text.RegularExpressions.Regex.IsMatch(o.TablePrefix, "^[A-Za-z][A-Za-z0-9]{0,31}$"),
                "Storage:TablePrefix must be up to 32 letters and digits, starting with a letter.")
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
        services.AddSingleton(sp => new GatewayTables(sp.GetRequiredService<TableServiceClient>(),
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.TablePrefix));
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
