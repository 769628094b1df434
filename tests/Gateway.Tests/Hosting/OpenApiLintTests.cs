using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>The gateway as deployed: its public address is a real host name, not localhost.</summary>
public sealed class PublicGatewayApp : GatewayApp
{
    public PublicGatewayApp() => Settings["Payments:PublicBaseUrl"] = "https://pay.gateway.test";
}

/// <summary>
/// The OpenAPI description passes a third-party linter: Redocly's recommended rules (redocly.yaml), with the CLI
/// pinned in package.json, over the document the app serves; the findings that stand are in .redocly.lint-ignore.yaml,
/// each with its reason.
/// </summary>
public sealed class OpenApiLintTests(PublicGatewayApp app) : IClassFixture<PublicGatewayApp>
{
    /// <summary>The entries of .redocly.lint-ignore.yaml: each must still be needed, or it goes.</summary>
    private const int IgnoredFindings = 27;

    [Fact]
    public async Task RedoclysRecommendedRulesFindNoErrorsAndNoWarnings()
    {
        using var client = app.CreateClient();
        var document = await client.GetStringAsync("/openapi/v1.json");
        // The linter reads its configuration and ignore file from the linted file's directory.
        var root = Gateway.Testing.Azurite.RepositoryRoot();
        var directory = Directory.CreateTempSubdirectory("gateway-openapi-").FullName;
        foreach (var name in new[] { "redocly.yaml", ".redocly.lint-ignore.yaml" })
        {
            File.Copy(Path.Combine(root, name), Path.Combine(directory, name));
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "openapi.json"), document);
        try
        {
            var (exitCode, report, messages) = await LintAsync(root, directory);
            var totals = JsonDocument.Parse(report).RootElement.GetProperty("totals");
            var problems = $"redocly lint exited {exitCode}:\n{report}\n{messages}";
            Assert.True(totals.GetProperty("errors").GetInt32() == 0, problems);
            Assert.True(totals.GetProperty("warnings").GetInt32() == 0, problems);
            Assert.True(totals.GetProperty("ignored").GetInt32() == IgnoredFindings, problems);
            Assert.Equal(0, exitCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Runs the pinned CLI (never one from the network) in <paramref name="directory"/>, with JSON output.
    /// </summary>
    private static async Task<(int ExitCode, string Report, string Messages)> LintAsync(string root, string directory)
    {
        var cli = Path.Combine(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
        Assert.True(File.Exists(cli), $"{cli} is missing: run ./test.sh, which installs it with 'npm ci'.");
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { cli, "lint", "openapi.json", "--format", "json" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var lint = Process.Start(start)!;
        var output = lint.StandardOutput.ReadToEndAsync();
        var errors = lint.StandardError.ReadToEndAsync();
        await lint.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (lint.ExitCode, await output, await errors);
    }
}
