using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;

namespace Gateway.Platform;

/// <summary>
/// The storage account, read from the settings the Functions host reads for <c>AzureWebJobsStorage</c>, so the app and
/// the host always use the same account:
/// <list type="bullet">
/// <item>a connection string as the setting's value (<c>UseDevelopmentStorage=true</c> for Azurite, or one with
/// endpoints and a key): local runs and tests;</item>
/// <item>identity-based, on Azure: <c>AzureWebJobsStorage__accountName</c>, or <c>__tableServiceUri</c> and
/// <c>__queueServiceUri</c>, authenticated by <c>Azure.Identity</c> from <c>__credential</c> (<c>managedidentity</c>)
/// and <c>__clientId</c> (a user-assigned identity). No account key is involved.</item>
/// </list>
/// </summary>
public sealed record StorageConnection(string? ConnectionString, Uri? TableServiceUri, Uri? QueueServiceUri, IConfigurationSection Section)
{
    /// <summary>The Functions host's own storage setting; the app reads the same one.</summary>
    public const string SettingName = "AzureWebJobsStorage";

    // Azurite's well-known development account key: public, documented by Microsoft, not a secret.
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public bool UsesIdentity => ConnectionString is null;

    /// <summary>
    /// A 32-byte key for <paramref name="purpose"/> derived from the account key, for settings a local run may leave
    /// unset (a deployment configures its own from a secret store). Null with an identity-based connection: there is
    /// no account key, so such settings must then be given.
    /// </summary>
    public byte[]? DeriveLocalKey(string purpose)
    {
        if (ConnectionString is null) return null;
        var settings = ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.Split('=', 2)).Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
        var accountKey = settings.ContainsKey("UseDevelopmentStorage") ? DevelopmentAccountKey : settings.GetValueOrDefault("AccountKey");
        return accountKey is null
            ? null
            : System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256,
                Convert.FromBase64String(accountKey), 32, info: System.Text.Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>
    /// Reads the setting, or explains what is wrong with it without echoing it (a connection string holds a key).
    /// </summary>
    public static StorageConnection From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SettingName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            // Parsed here so a malformed string fails start-up rather than the first request.
            try
            {
                _ = new TableServiceClient(section.Value);
                _ = new QueueServiceClient(section.Value);
            }
            catch (Exception error) when (error is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidOperationException(
                    $"{SettingName} is not a valid storage connection string (for Azurite: UseDevelopmentStorage=true).", error);
            }
            return new StorageConnection(section.Value, null, null, section);
        }

        var account = section["accountName"];
        var tables = ServiceUri(section, "tableServiceUri") ?? AccountUri(account, "table");
        var queues = ServiceUri(section, "queueServiceUri") ?? AccountUri(account, "queue");
        if (tables is null || queues is null)
        {
            throw new InvalidOperationException(
                $"Set {SettingName} to a connection string, or {SettingName}__accountName (or both " +
                $"{SettingName}__tableServiceUri and {SettingName}__queueServiceUri) for an identity-based connection.");
        }
        return new StorageConnection(null, tables, queues, section);
    }

    /// <summary>What the connection uses, for the start-up log: never a key.</summary>
    public string Describe() => UsesIdentity
        ? $"{TableServiceUri} and {QueueServiceUri} with {CredentialName()}"
        : $"a connection string ({AccountName()})";

    /// <summary>The identity for an identity-based connection, as the host builds it from the same section.</summary>
    public TokenCredential Credential(AzureComponentFactory factory) => factory.CreateTokenCredential(Section);

    private string CredentialName() => Section["credential"] is { Length: > 0 } kind
        ? Section["clientId"] is { Length: > 0 } clientId ? $"{kind} (client id {clientId})" : kind
        : "DefaultAzureCredential";

    private string AccountName() => new TableServiceClient(ConnectionString).AccountName;

    private static Uri? ServiceUri(IConfigurationSection section, string key)
    {
        if (section[key] is not { Length: > 0 } value) return null;
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri
            : throw new InvalidOperationException($"{SettingName}__{key} must be an absolute https URL.");
    }

    private static Uri? AccountUri(string? account, string service)
    {
        if (string.IsNullOrEmpty(account)) return null;
        // Storage account names are 3-24 lower-case letters and digits: anything else is a typo, not a host name.
        return account.Length is >= 3 and <= 24 && account.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c))
            ? new Uri($"https://{account}.{service}.core.windows.net/")
            : throw new InvalidOperationException($"{SettingName}__accountName must be a storage account name (3-24 lower-case letters and digits).");
    }
}
