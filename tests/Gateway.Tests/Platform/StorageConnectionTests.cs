using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Gateway.Tests.Platform;

/// <summary>
/// The app reads its storage account from the settings the Functions host reads for <c>AzureWebJobsStorage</c>: a
/// connection string locally, identity-based settings on Azure. Which settings give which clients.
/// </summary>
public sealed class StorageConnectionTests
{
    private const string ClientId = "2f0d3c1a-5b7e-4c1d-9a43-0e2b6f7d8c91";

    [Fact]
    public void DevelopmentStorageIsAzuriteOnItsWellKnownPorts()
    {
        using var provider = Provider(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), provider.GetRequiredService<QueueServiceClient>().Uri);
        var connection = provider.GetRequiredService<StorageConnection>();
        Assert.False(connection.UsesIdentity);
        Assert.Equal("a connection string (devstoreaccount1)", connection.Describe());
        Assert.NotNull(connection.DeriveLocalKey("purpose"));
    }

    [Fact]
    public void AConnectionStringWithEndpointsIsUsedAsGivenAndItsKeyIsNeverDescribed()
    {
        var azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Testing.Azurite.AccountKey +
            ";TableEndpoint=http://127.0.0.1:41002/devstoreaccount1;QueueEndpoint=http://127.0.0.1:41001/devstoreaccount1;";
        using var provider = Provider(new() { ["AzureWebJobsStorage"] = azurite });

        Assert.Equal(new Uri("http://127.0.0.1:41002/devstoreaccount1"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:41001/devstoreaccount1"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.DoesNotContain(Testing.Azurite.AccountKey, provider.GetRequiredService<StorageConnection>().Describe());
        // Keys derived for different purposes differ, and the same purpose always gives the same key.
        var connection = provider.GetRequiredService<StorageConnection>();
        Assert.Equal(connection.DeriveLocalKey("a"), connection.DeriveLocalKey("a"));
        Assert.NotEqual(connection.DeriveLocalKey("a"), connection.DeriveLocalKey("b"));
    }

    [Fact]
    public void AnAccountNameWithAUserAssignedManagedIdentityNeedsNoKey()
    {
        using var provider = Provider(new()
        {
            ["AzureWebJobsStorage:accountName"] = "gatewayprod01",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = ClientId,
        });

        Assert.Equal(new Uri("https://gatewayprod01.table.core.windows.net/"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("https://gatewayprod01.queue.core.windows.net/"), provider.GetRequiredService<QueueServiceClient>().Uri);
        var connection = provider.GetRequiredService<StorageConnection>();
        Assert.True(connection.UsesIdentity);
        Assert.Null(connection.DeriveLocalKey("purpose"));
        Assert.IsType<ManagedIdentityCredential>(connection.Credential(provider.GetRequiredService<AzureComponentFactory>()));
        Assert.Contains($"managedidentity (client id {ClientId})", connection.Describe());
    }

    [Fact]
    public void ServiceUrisTakePrecedenceOverTheAccountName()
    {
        using var provider = Provider(new()
        {
            ["AzureWebJobsStorage:accountName"] = "ignoredaccount",
            ["AzureWebJobsStorage:tableServiceUri"] = "https://tables.example.net/",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://queues.example.net/",
        });

        Assert.Equal(new Uri("https://tables.example.net/"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(new Uri("https://queues.example.net/"), provider.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Contains("DefaultAzureCredential", provider.GetRequiredService<StorageConnection>().Describe());
    }

    [Fact]
    public async Task IdentityBasedClientsSignRequestsWithTheIdentitysTokenAndNeverAKey()
    {
        var credential = new Mock<TokenCredential>();
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AccessToken("identity-token", DateTimeOffset.UtcNow.AddHours(1)));
        var components = new Mock<AzureComponentFactory>();
        components.Setup(f => f.CreateTokenCredential(It.IsAny<IConfiguration>())).Returns(credential.Object);
        var seen = new RequestRecorder();
        using var provider = Provider(new()
        {
            ["AzureWebJobsStorage:accountName"] = "gatewayprod01",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = ClientId,
            ["Storage:Retry:MaxRetries"] = "0",
        }, services =>
        {
            services.AddSingleton(components.Object);
            seen.AddTo(services);
        });

        // The recorder answers 503 without sending anything: nothing leaves this machine.
        var tables = provider.GetRequiredService<GatewayTables>();
        await Assert.ThrowsAnyAsync<Exception>(() => tables.Identity.FindAsync("p", "r"));
        await Assert.ThrowsAnyAsync<Exception>(() => provider.GetRequiredService<QueueServiceClient>().GetQueueClient("q").SendMessageAsync("m"));

        Assert.Contains(seen.Requests, r => r.Host == "gatewayprod01.table.core.windows.net" && r.Authorization == "Bearer identity-token");
        Assert.Contains(seen.Requests, r => r.Host == "gatewayprod01.queue.core.windows.net" && r.Authorization == "Bearer identity-token");
        Assert.DoesNotContain(seen.Requests, r => r.Authorization?.StartsWith("SharedKey", StringComparison.Ordinal) != false);
        components.Verify(f => f.CreateTokenCredential(It.Is<IConfiguration>(c => c["clientId"] == ClientId)));
    }

    [Theory]
    [InlineData("AzureWebJobsStorage", "AccountName=x;AccountKey=not-base64", "not a valid storage connection string")]
    [InlineData("AzureWebJobsStorage:accountName", "Not_An_Account", "must be a storage account name")]
    [InlineData("AzureWebJobsStorage:tableServiceUri", "http://tables.example.net/", "must be an absolute https URL")]
    public void ASettingThatCannotWorkStopsStartUpAndSaysWhich(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "AzureWebJobsStorage:tableServiceUri") settings["AzureWebJobsStorage:queueServiceUri"] = "https://queues.example.net/";

        var error = Assert.Throws<InvalidOperationException>(() => StorageConnection.From(Configuration(settings)));

        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("not-base64", error.ToString());
    }

    [Fact]
    public void NoStorageSettingAtAllSaysWhatToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageConnection.From(Configuration([])));

        Assert.Contains("AzureWebJobsStorage__accountName", error.Message);
    }

    [Theory]
    [InlineData("Payments:SecretKey", "Payments:SecretKey must be set")]
    [InlineData("CardVault:ActiveKey", "CardVault:Keys and CardVault:ActiveKey must be configured")]
    public async Task WithAnIdentityBasedConnectionTheSecretsALocalRunDerivesMustBeConfigured(string missing, string message)
    {
        var identity = new Dictionary<string, string?>(GatewayApp.VaultKey)
        {
            ["AzureWebJobsStorage"] = "",
            ["AzureWebJobsStorage:accountName"] = "gatewayprod01",
            ["Storage:CreateTablesOnStartup"] = "false",
            ["Payments:SecretKey"] = Convert.ToBase64String(new byte[32]),
        };
        identity.Remove(missing);
        if (missing == "CardVault:ActiveKey") identity.Remove("CardVault:Keys:test1");

        Assert.Contains(message, (await GatewayApp.StartUpFailureAsync(identity)).ToString());
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = Configuration(settings);
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddGatewayStorage(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Records each storage request's host and Authorization header, and answers 503 without sending it.</summary>
    private sealed class RequestRecorder : StorageFaultPolicy
    {
        public List<(string Host, string? Authorization)> Requests { get; } = [];

        protected override StorageFault? Choose(Request request)
        {
            lock (Requests) Requests.Add((request.Uri.Host ?? "", request.Headers.TryGetValue("Authorization", out var value) ? value : null));
            return StorageFault.ServerBusy;
        }
    }
}
