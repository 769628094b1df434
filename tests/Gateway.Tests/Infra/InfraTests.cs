using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gateway.Hosting;
using Gateway.Platform;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Infra;

/// <summary>
/// The templates build and lint clean, set every setting the app and the host need (and only settings something
/// reads), create the app's tables and queues, and hold no secret. Offline: nothing here reaches Azure.
/// </summary>
public sealed partial class InfraTests
{
    private static readonly string[] Parameters = ["test.bicepparam", "prod.bicepparam"];

    /// <summary>Settings only the Functions host reads (the app's logs reach Application Insights through it).</summary>
    private static readonly string[] HostOnly =
        ["APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"];

    /// <summary>What the platform sets in every Flex Consumption app's environment, whatever the template says.</summary>
    private static readonly Dictionary<string, string> Platform =
        new() { ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated" };

    /// <summary>
    /// Values for the settings whose Bicep value is an expression, as Azure would resolve them; a setting whose value
    /// is a literal gets that literal, and a Key Vault reference a fresh 32-byte key (what the secret holds).
    /// </summary>
    private static readonly Dictionary<string, string> Resolved = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage__accountName"] = "stgwtest",
        ["AzureWebJobsStorage__clientId"] = "6f0a9d3c-6a9c-4e8e-9a43-7a4c1d1f2e55",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] =
            "ClientId=6f0a9d3c-6a9c-4e8e-9a43-7a4c1d1f2e55;Authorization=AAD",
        ["Payments__PublicBaseUrl"] = "https://func-gwtest.azurewebsites.net",
        ["Payments__EventQueue"] = "payment-events",
        ["Notifications__Queue"] = "notifications",
        ["Collections__BankResultsQueue"] = "collections-bank-results",
        ["Notifications__Sms__Provider"] = "local",
        ["Notifications__Sms__Url"] = "",
        ["Notifications__Sms__Token"] = "",
        ["Notifications__Email__Provider"] = "local",
        ["Notifications__Email__Smtp__Host"] = "",
        ["Notifications__Email__Smtp__From"] = "",
        ["Notifications__Email__Smtp__Username"] = "",
        ["Notifications__Email__Smtp__Password"] = "",
        ["Webhooks__RetrySchedule"] = "1m,5m,30m,2h,6h,12h,24h,24h,24h",
        ["CardVault__ActiveKey"] = "k1",
    };

    private static string Read(string file) => File.ReadAllText(Path.Combine(Bicep.InfraFolder, file));

    private static void AssertClean((int ExitCode, string Output) run, string what)
    {
        Assert.True(run.ExitCode == 0, $"{what} failed:\n{run.Output}");
        // Warnings count as errors: any diagnostic fails.
        Assert.False(Diagnostic().IsMatch(run.Output), $"{what} reported:\n{run.Output}");
    }

    [Fact]
    public async Task EveryTemplateAndParametersFileBuildsAndLintsWithoutAWarning()
    {
        AssertClean(await Bicep.RunAsync("build", "main.bicep", "--stdout"), "bicep build main.bicep");
        AssertClean(await Bicep.RunAsync("lint", "main.bicep"), "bicep lint main.bicep");
        foreach (var parameters in Parameters)
        {
            AssertClean(await Bicep.RunAsync("build-params", parameters, "--stdout"),
                $"bicep build-params {parameters}");
            AssertClean(await Bicep.RunAsync("lint", parameters), $"bicep lint {parameters}");
        }
    }

    [Fact]
    public async Task TheLintCheckSeesAWarning()
    {
        var file = Path.Combine(Path.GetTempPath(), $"unused-{Guid.NewGuid():N}.bicep");
        await File.WriteAllTextAsync(file, "param unused string\n");
        try
        {
            var run = await Bicep.RunAsync("lint", file);
            Assert.Matches(Diagnostic(), run.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("test.bicepparam")]
    [InlineData("prod.bicepparam")]
    public void TheTemplateSetsWhatTheTriggersNameAndConnectByIdentity(string parameters)
    {
        var settings = Bicep.AppSettings(Read("main.bicep"), Read(parameters));
        foreach (var queue in FunctionCatalog.Gateway.Queues)
        {
            var trigger = queue.Method.GetParameters()
                .SelectMany(p => p.GetCustomAttributes(typeof(QueueTriggerAttribute), false))
                .Cast<QueueTriggerAttribute>()
                .Single();
            // The host resolves %Section:Key% from the app settings, not from the app's appsettings.json.
            var expression = Regex.Match(trigger.QueueName, "^%(.+)%$");
            Assert.True(expression.Success, $"{queue.Name} names its queue by a setting");
            var setting = expression.Groups[1].Value.Replace(":", "__");
            Assert.True(settings.ContainsKey(setting),
                $"main.bicep does not set {setting}, which {queue.Name}'s trigger names.");
            // An identity-based connection: the account and the identity, never a connection string with a key.
            var connection = trigger.Connection!;
            Assert.True(settings.ContainsKey($"{connection}__accountName"),
                $"main.bicep does not set {connection}__accountName.");
            Assert.Equal("'managedidentity'", settings[$"{connection}__credential"]);
            Assert.Contains($"{connection}__clientId", settings.Keys);
            Assert.DoesNotContain(connection, settings.Keys);
        }
    }

    [Theory]
    [InlineData("test.bicepparam")]
    [InlineData("prod.bicepparam")]
    public void TheAppStartsWithExactlyTheTemplatesSettingsAndReadsEachOfThem(string parameters)
    {
        var settings = Bicep.AppSettings(Read("main.bicep"), Read(parameters));
        var values = settings.ToDictionary(s => s.Key.Replace("__", ":"), s => (string?)ValueOf(s.Key, s.Value));
        foreach (var (key, value) in Platform) values[key] = value;
        var recording = new RecordingConfigurationSource(values);
        var configuration = new ConfigurationBuilder().Add(recording).Build();

        // What the worker registers, validated as its host validates at start, and every function class made.
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddGateway(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        using var scope = provider.CreateScope();
        foreach (var type in FunctionCatalog.Gateway.All.Select(f => f.Method.DeclaringType!).Distinct())
        {
            ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
        }
        var storage = provider.GetRequiredService<StorageConnection>();
        Assert.True(storage.UsesIdentity);
        Assert.Equal("https://stgwtest.table.core.windows.net/", storage.TableServiceUri!.ToString());

        var unread = settings.Keys.Where(key => !HostOnly.Contains(key)
            && !recording.Read.Contains(key.Replace("__", ":"))).ToArray();
        Assert.True(unread.Length == 0, $"The template sets settings the app never reads: {string.Join(", ", unread)}");
    }

    private static string ValueOf(string key, string bicepValue)
    {
        if (bicepValue.Contains("@Microsoft.KeyVault(", StringComparison.Ordinal))
        {
            return Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        }
        if (Literal().Match(bicepValue) is { Success: true } literal) return literal.Groups[1].Value;
        Assert.True(Resolved.TryGetValue(key, out var value),
            $"Give the test a resolved value for {key} ({bicepValue}).");
        return value!;
    }

    [Fact]
    public void TheTemplateCreatesTheAppsTablesAndQueuesAndTellsTheAppNotTo()
    {
        var template = Read("main.bicep");
        // The app's defaults (table names, queue names) on any storage account.
        var defaults = new ConfigurationBuilder().AddInMemoryCollection(
            [new(StorageConnection.SettingName, "UseDevelopmentStorage=true")]).Build();
        using var provider = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(defaults)
            .AddGateway(defaults).BuildServiceProvider();
        var tables = provider.GetRequiredService<GatewayTables>().All.Select(t => t.Name).Order();
        Assert.Equal(tables, Bicep.ArrayParameter(template, "tableNames").Order());

        var eventQueue = provider.GetRequiredService<IOptions<Gateway.Payments.PaymentOptions>>().Value.EventQueue;
        var notifications = provider.GetRequiredService<IOptions<Gateway.Notifications.NotificationOptions>>()
            .Value.Queue;
        var bankResults = provider.GetRequiredService<IOptions<Gateway.Collections.CollectionsOptions>>()
            .Value.BankResultsQueue;
        Assert.Equal(eventQueue, Bicep.Variable(template, "eventQueue"));
        Assert.Equal(notifications, Bicep.Variable(template, "notificationsQueue"));
        Assert.Equal(bankResults, Bicep.Variable(template, "bankResultsQueue"));
        var queues = template.Contains("var queueNames = [eventQueue, '${eventQueue}-poison', notificationsQueue, " +
            "'${notificationsQueue}-poison', bankResultsQueue, '${bankResultsQueue}-poison']", StringComparison.Ordinal);
        Assert.True(queues, "main.bicep creates every queue and its poison queue.");
        Assert.Equal("'false'", Bicep.AppSettings(template, Read("test.bicepparam"))["Storage__CreateTablesOnStartup"]);
    }

    [Fact]
    public void NoTemplateOrParametersFileHoldsASecret()
    {
        var files = Directory.EnumerateFiles(Bicep.InfraFolder)
            .Where(f => f.EndsWith(".bicep") || f.EndsWith(".bicepparam") || f.EndsWith(".json") || f.EndsWith(".sh"))
            .ToArray();
        Assert.Contains(files, f => f.EndsWith("main.bicep"));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.False(Secret().IsMatch(text),
                $"{Path.GetFileName(file)} holds what looks like a secret: {Secret().Match(text).Value}");
            // A secure parameter with a default would put its value in the template.
            Assert.DoesNotMatch(@"@secure\(\)\s*param \w+ \w+ =", text);
        }
    }

    [Fact]
    public void TheSecretCheckFindsAKeyAndAConnectionString()
    {
        Assert.Matches(Secret(), $"param key = '{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}'");
        Assert.Matches(Secret(), "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc");
        Assert.DoesNotMatch(Secret(), "param cardVaultKeyIds = ['k1']");
    }

    [GeneratedRegex(@"(?i)\b(Warning|Error) [A-Za-z0-9-]+:|: (Warning|Error) ")]
    private static partial Regex Diagnostic();

    [GeneratedRegex("^'([^'$]*)'$")]
    private static partial Regex Literal();

    /// <summary>
    /// A quoted base64 string of 30 bytes or more, account keys, SAS signatures, instrumentation keys, private keys.
    /// </summary>
    [GeneratedRegex(@"['""][A-Za-z0-9+/]{40,}={0,2}['""]|AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{20,}" +
        "|InstrumentationKey=[0-9a-f-]{36}|-----BEGIN")]
    private static partial Regex Secret();
}

/// <summary>A configuration that records every key the app asks for.</summary>
internal sealed class RecordingConfigurationSource(Dictionary<string, string?> values) : IConfigurationSource
{
    public HashSet<string> Read { get; } = new(StringComparer.OrdinalIgnoreCase);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(this, values);

    private sealed class Provider(RecordingConfigurationSource source, Dictionary<string, string?> values)
        : ConfigurationProvider
    {
        public override void Load() =>
            Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);

        public override bool TryGet(string key, out string? value)
        {
            lock (source.Read) source.Read.Add(key);
            return base.TryGet(key, out value);
        }
    }
}
