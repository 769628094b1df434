using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infra;

/// <summary>
/// The deployment templates under <c>infra/</c>, and the Bicep CLI from the package feed (restored with the tests,
/// never downloaded from elsewhere).
/// </summary>
internal static partial class Bicep
{
    public static string InfraFolder => Path.Combine(Gateway.Testing.Azurite.RepositoryRoot(), "infra");

    public static string MainTemplate => Path.Combine(InfraFolder, "main.bicep");

    private static string Cli => typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepCli").Value!;

    /// <summary>Runs the CLI; its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Cli), $"The Bicep CLI is missing at {Cli}: the test project restores it.");
        var start = new ProcessStartInfo(Cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = InfraFolder,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The CLI checks nothing online: no telemetry, no registry modules.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>
    /// The app settings <c>main.bicep</c> sets, by name, with their Bicep value expressions: the body of its
    /// <c>settings</c> resource, one <c>Name: value</c> per line, and the card vault's keys, one per key id of
    /// <paramref name="parameters"/> (the spread over <c>cardVaultKeyIds</c>).
    /// </summary>
    public static Dictionary<string, string> AppSettings(string template, string parameters)
    {
        var body = Regex.Match(template, @"resource settings '[^']+' = \{.*?\n  properties: \{\n(?<body>.*?)\n  \}\n\}",
            RegexOptions.Singleline);
        Assert.True(body.Success, "main.bicep has no 'settings' resource with a properties block.");
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in body.Groups["body"].Value.Split('\n'))
        {
            if (Setting().Match(line) is { Success: true } setting)
            {
                settings.Add(setting.Groups["name"].Value, setting.Groups["value"].Value.Trim());
            }
            else if (line.Contains("...toObject(cardVaultKeyIds", StringComparison.Ordinal))
            {
                foreach (var id in ArrayParameter(parameters, "cardVaultKeyIds"))
                {
                    settings.Add($"CardVault__Keys__{id}", $"'@Microsoft.KeyVault(card-vault-key-{id})'");
                }
            }
            else
            {
                Assert.Fail($"main.bicep's settings has a line this test cannot read: {line.Trim()}");
            }
        }
        return settings;
    }

    /// <summary>
    /// The items of a string array in a Bicep file: <c>var name = [ 'a' 'b' ]</c> or <c>param name = ['a']</c>.
    /// </summary>
    public static string[] ArrayParameter(string bicep, string name)
    {
        var array = Regex.Match(bicep, $@"(?:var|param) {name} = \[(?<items>[^\]]*)\]");
        Assert.True(array.Success, $"No array {name} found.");
        return [.. Regex.Matches(array.Groups["items"].Value, "'([^']*)'").Select(m => m.Groups[1].Value)];
    }

    /// <summary>A string variable's value: <c>var name = 'value'</c>.</summary>
    public static string Variable(string bicep, string name) =>
        Regex.Match(bicep, $@"var {name} = '(?<value>[^']*)'") is { Success: true } match
            ? match.Groups["value"].Value
            : throw new InvalidOperationException($"No string variable {name} in main.bicep.");

    [GeneratedRegex(@"^\s{4}(?<name>[A-Za-z_][A-Za-z0-9_]*): (?<value>.+)$")]
    private static partial Regex Setting();
}
