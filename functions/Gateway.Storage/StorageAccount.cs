using System.Text;

namespace Gateway.Storage;

/// <summary>
/// A storage account's name, key and service endpoints, parsed from an Azure Storage connection string.
/// Endpoints always end with '/', so resource paths can be appended to them.
/// </summary>
public sealed record StorageAccount(string AccountName, byte[] AccountKey, Uri TableEndpoint, Uri QueueEndpoint)
{
    // Azurite's well-known development account: public, documented by Microsoft, not a secret.
    private const string DevelopmentAccountName = "devstoreaccount1";
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static StorageAccount Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var settings = ReadSettings(connectionString);

        if (settings.TryGetValue("UseDevelopmentStorage", out var development))
        {
            if (!string.Equals(development, "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("UseDevelopmentStorage must be 'true' when present.");
            }
            if (settings.Count > 1)
            {
                throw new FormatException("UseDevelopmentStorage=true cannot be combined with other settings; give explicit endpoints instead.");
            }
            return new StorageAccount(
                DevelopmentAccountName,
                Convert.FromBase64String(DevelopmentAccountKey),
                new Uri($"http://127.0.0.1:10002/{DevelopmentAccountName}/"),
                new Uri($"http://127.0.0.1:10001/{DevelopmentAccountName}/"));
        }

        var name = Required(settings, "AccountName");
        if (!name.All(char.IsAsciiLetterOrDigit))
        {
            throw new FormatException("AccountName may contain only ASCII letters and digits.");
        }
        var key = ParseKey(Required(settings, "AccountKey"));

        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https").ToLowerInvariant();
        if (protocol is not ("http" or "https"))
        {
            throw new FormatException("DefaultEndpointsProtocol must be 'http' or 'https'.");
        }
        var suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net").Trim('.');
        if (suffix.Length == 0)
        {
            throw new FormatException("EndpointSuffix is empty.");
        }

        return new StorageAccount(
            name,
            key,
            Endpoint(settings, "TableEndpoint", $"{protocol}://{name}.table.{suffix}/"),
            Endpoint(settings, "QueueEndpoint", $"{protocol}://{name}.queue.{suffix}/"));
    }

    // The generated ToString would print the key's type; this keeps the key out of logs entirely.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AccountName = ").Append(AccountName)
            .Append(", TableEndpoint = ").Append(TableEndpoint)
            .Append(", QueueEndpoint = ").Append(QueueEndpoint);
        return true;
    }

    private static Dictionary<string, string> ReadSettings(string connectionString)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var segments = connectionString.Split(';');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i].Trim();
            if (segment.Length == 0)
            {
                continue;
            }
            // Split at the first '=' only: base64 keys end with '=' padding.
            var equals = segment.IndexOf('=');
            if (equals <= 0)
            {
                // The segment itself is not echoed: it could be a fragment of the key.
                throw new FormatException($"Connection string segment {i + 1} is not of the form Key=Value.");
            }
            var name = segment[..equals].Trim();
            if (!settings.TryAdd(name, segment[(equals + 1)..].Trim()))
            {
                throw new FormatException($"Connection string setting '{name}' is given more than once.");
            }
        }
        if (settings.Count == 0)
        {
            throw new FormatException("The connection string is empty.");
        }
        return settings;
    }

    private static string Required(Dictionary<string, string> settings, string name)
    {
        if (!settings.TryGetValue(name, out var value) || value.Length == 0)
        {
            throw new FormatException($"The connection string has no {name}.");
        }
        return value;
    }

    private static byte[] ParseKey(string value)
    {
        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value, buffer, out var length) || length == 0)
        {
            throw new FormatException("AccountKey is not valid base64.");
        }
        return buffer[..length];
    }

    private static Uri Endpoint(Dictionary<string, string> settings, string name, string fallback)
    {
        if (!settings.TryGetValue(name, out var value) || value.Length == 0)
        {
            return new Uri(fallback);
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0)
        {
            throw new FormatException($"{name} must be an absolute http(s) URL without query or fragment.");
        }
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}
