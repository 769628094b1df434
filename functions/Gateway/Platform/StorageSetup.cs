using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Specialized;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;

namespace Gateway.Platform;

/// <summary>How the gateway keeps its data (<c>Storage</c>); the account itself is <see cref="StorageConnection"/>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Create the gateway's tables and queues at start-up (idempotent). Off when infrastructure provisions them.</summary>
    public bool CreateTablesOnStartup { get; set; } = true;

    /// <summary>
    /// Put before every table name, so several deployments (or test runs) can share one storage account without
    /// sharing data. Letters and digits, starting with a letter; empty by default.
    /// </summary>
    public string TablePrefix { get; set; } = "";

    public StorageRetryOptions Retry { get; set; } = new();

    public StorageLimitsOptions Limits { get; set; } = new();
}

/// <summary>
/// The gateway's tables, by name. Each table is read and written only by the store that owns it (see the README's
/// storage section), which takes it from here.
/// </summary>
public sealed class GatewayTables(TableServiceClient service, IOptions<StorageOptions> options)
{
    public TableClient Identity { get; } = service.GetTableClient(options.Value.TablePrefix + "Identity");
    public TableClient Logins { get; } = service.GetTableClient(options.Value.TablePrefix + "Logins");
    public TableClient Tokens { get; } = service.GetTableClient(options.Value.TablePrefix + "Tokens");
    public TableClient ApiKeys { get; } = service.GetTableClient(options.Value.TablePrefix + "ApiKeys");
    public TableClient Counters { get; } = service.GetTableClient(options.Value.TablePrefix + "Counters");

    /// <summary>
    /// Each organisation's ledger, one partition per organisation: transactions, payment keys, their index rows,
    /// outbox events and idempotency records, and the cards, schedules and express links committed with them.
    /// </summary>
    public TableClient Payments { get; } = service.GetTableClient(options.Value.TablePrefix + "Payments");

    /// <summary>Payment keys, 3-D Secure sessions and express codes to their organisation, for pages payers use without credentials.</summary>
    public TableClient Lookups { get; } = service.GetTableClient(options.Value.TablePrefix + "Lookups");

    /// <summary>Every webhook delivery attempt, by organisation.</summary>
    public TableClient WebhookAttempts { get; } = service.GetTableClient(options.Value.TablePrefix + "WebhookAttempts");

    /// <summary>What the local SMS and e-mail senders kept instead of sending, by organisation.</summary>
    public TableClient Notifications { get; } = service.GetTableClient(options.Value.TablePrefix + "Notifications");

    /// <summary>Express e-mail attachments, in 64 KB rows, until their e-mail is sent.</summary>
    public TableClient ExpressFiles { get; } = service.GetTableClient(options.Value.TablePrefix + "ExpressFiles");

    /// <summary>The test-mode collections bank's accepted batches until their answers are fetched (a simulator's own).</summary>
    public TableClient CollectionsBank { get; } = service.GetTableClient(options.Value.TablePrefix + "CollectionsBank");

    public IEnumerable<TableClient> All =>
        [Identity, Logins, Tokens, ApiKeys, Counters, Payments, Lookups, WebhookAttempts, Notifications, ExpressFiles, CollectionsBank];
}

public static class StorageSetup
{
    /// <summary>A queue message time-to-live of "never" (the service's -1 seconds; its default is 7 days).</summary>
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .Validate(o => o.TablePrefix.Length == 0 || System.Text.RegularExpressions.Regex.IsMatch(o.TablePrefix, "^[A-Za-z][A-Za-z0-9]{0,31}$"),
                "Storage:TablePrefix must be up to 32 letters and digits, starting with a letter.")
            .Validate(o => o.Retry.MaxRetries is >= 0 and <= 10 && o.Retry.Delay >= TimeSpan.Zero && o.Retry.MaxDelay >= o.Retry.Delay,
                "Storage:Retry needs MaxRetries 0-10 and 0 <= Delay <= MaxDelay.")
            .Validate(o => o.Retry.AttemptTimeout > TimeSpan.Zero && o.Retry.OperationTimeout >= o.Retry.AttemptTimeout
                    && o.Retry.OperationTimeout <= TimeSpan.FromMinutes(5),
                "Storage:Retry needs 0 < AttemptTimeout <= OperationTimeout <= 5 minutes.")
            .Validate(o => o.Limits.EntitiesPerPartition > 0 && o.Limits.EntitiesPerAccount > 0,
                "Storage:Limits needs EntitiesPerPartition and EntitiesPerAccount above 0.")
            .Validate(o => o.Limits.Scale is > 0 and <= 1000, "Storage:Limits:Scale must be above 0 and at most 1000.")
            .Validate(o => o.Limits.TimeoutShare is >= 0 and <= 1, "Storage:Limits:TimeoutShare must be from 0 to 1.")
            .ValidateOnStart();

        // Decided here so that, off, no policy exists at all. On, one for the process: every table client shares its
        // buckets, as every client shares the account's real limits, and tests and benchmarks read its counters.
        if (configuration.GetValue<bool>("Storage:Limits:Enabled"))
        {
            // The system clock, not the app's TimeProvider: tests move that for business time, which must not refill
            // storage's buckets.
            services.AddSingleton(provider => new StorageLimitsPolicy(
                provider.GetRequiredService<IOptions<StorageOptions>>().Value.Limits, TimeProvider.System,
                provider.GetRequiredService<ILogger<StorageLimitsPolicy>>()));
        }

        // Read once, at start-up (TableInitializer resolves it first), so a bad setting stops the app at once.
        services.AddSingleton(_ => StorageConnection.From(configuration));
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>((options, provider) =>
            {
                var connection = Configure(options, provider);
                // Before the transport, so the retry policy (earlier in the pipeline) retries its refusals with back-off.
                if (provider.GetService<StorageLimitsPolicy>() is { } limits)
                {
                    options.AddPolicy(limits, HttpPipelinePosition.BeforeTransport);
                }
                return connection.UsesIdentity
                    ? new TableServiceClient(connection.TableServiceUri, connection.Credential(provider.GetRequiredService<AzureComponentFactory>()), options)
                    : new TableServiceClient(connection.ConnectionString, options);
            });
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, provider) =>
            {
                // What the Functions queue trigger expects by default (host.json messageEncoding "base64").
                options.MessageEncoding = QueueMessageEncoding.Base64;
                options.MessageDecodingFailed += PoisonUndecodableAsync;
                var connection = Configure(options, provider);
                return connection.UsesIdentity
                    ? new QueueServiceClient(connection.QueueServiceUri, connection.Credential(provider.GetRequiredService<AzureComponentFactory>()), options)
                    : new QueueServiceClient(connection.ConnectionString, options);
            });
        });
        services.AddSingleton<GatewayTables>();
        services.AddHostedService<TableInitializer>();
        return services;
    }

    /// <summary>
    /// A received message that is not base64 can never be run: like the Functions host, move it to the queue's poison
    /// queue (its text encoded, so the copy decodes to exactly what was sent) and delete it, instead of failing the receive.
    /// </summary>
    private static async Task PoisonUndecodableAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message) return;
        var poison = args.Queue.GetParentQueueServiceClient().GetQueueClient(args.Queue.Name + "-poison");
        await poison.CreateIfNotExistsAsync(cancellationToken: args.CancellationToken);
        await poison.SendMessageAsync(message.Body, timeToLive: StorageSetup.NeverExpires, cancellationToken: args.CancellationToken);
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken);
    }

    private static StorageConnection Configure(ClientOptions options, IServiceProvider provider)
    {
        options.RetryPolicy = new StorageRetryPolicy(provider.GetRequiredService<IOptions<StorageOptions>>().Value.Retry);
        return provider.GetRequiredService<StorageConnection>();
    }

    /// <summary>Creates the tables before the app takes traffic, all at once so start-up pays one round trip of latency.</summary>
    private sealed class TableInitializer(StorageConnection connection, GatewayTables tables, IOptions<StorageOptions> options,
        ILogger<TableInitializer> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogInformation("Storage: {Connection}", connection.Describe());
            if (options.Value.Limits.Enabled)
            {
                logger.LogWarning("Storage limits simulated: {Limits}", StorageLimitsPolicy.Describe(options.Value.Limits));
            }
            return options.Value.CreateTablesOnStartup
                ? Task.WhenAll(tables.All.Select(t => t.CreateIfNotExistsAsync(cancellationToken)))
                : Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
