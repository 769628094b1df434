using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// <c>Gateway seed-demo {file}</c>, run by ./run.sh: makes sure a demo platform exists (an operator, a test-mode
/// demo organisation with an administrator, and an API key) and writes its credentials to the file. Re-running
/// keeps what the file describes as long as storage still has it, so local data and credentials stay stable.
/// </summary>
public static class DemoSeed
{
    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true };

    public sealed record Credentials(
        [property: JsonPropertyName("username")] string Username,
        [property: JsonPropertyName("password")] string Password);

    public sealed record Demo(
        [property: JsonPropertyName("operator")] Credentials Operator,
        [property: JsonPropertyName("organisation_id")] long OrganisationId,
        [property: JsonPropertyName("admin")] Credentials Admin,
        [property: JsonPropertyName("api_key")] string ApiKey,
        [property: JsonPropertyName("functions_admin_key")] string? FunctionsAdminKey);

    public static async Task<Demo> RunAsync(IServiceProvider services, string path, CancellationToken cancellationToken)
    {
        var tables = services.GetRequiredService<GatewayTables>();
        await Task.WhenAll(tables.All.Select(t => t.CreateIfNotExistsAsync(cancellationToken)));

        var adminKey = services.GetRequiredService<IOptions<FunctionsHostingOptions>>().Value.AdminKey;
        var existing = File.Exists(path) ? JsonSerializer.Deserialize<Demo>(await File.ReadAllTextAsync(path, cancellationToken)) : null;
        var demo = existing is not null && await StillValidAsync(services, existing, cancellationToken)
            ? existing with { FunctionsAdminKey = adminKey }
            : await CreateAsync(services, adminKey, cancellationToken);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(demo, FileJson) + "\n", cancellationToken);
        return demo;
    }

    private static async Task<Demo> CreateAsync(IServiceProvider services, string? functionsAdminKey, CancellationToken cancellationToken)
    {
        // Fresh random names and passwords: a previous demo's usernames may still be claimed in storage.
        var suffix = Secrets.Hex(3);
        var operatorCredentials = new Credentials($"operator-{suffix}", NewPassword());
        var adminCredentials = new Credentials($"demo-admin-{suffix}", NewPassword());

        await services.GetRequiredService<UserService>().CreateOperatorAsync(operatorCredentials.Username, operatorCredentials.Password, cancellationToken);
        var form = RequestForm.FromJson(new JsonObject
        {
            ["Organisation"] = new JsonObject { ["name"] = "Demo Merchant", ["mode"] = OrganisationModes.Test },
            ["User"] = new JsonObject
            {
                ["username"] = adminCredentials.Username,
                ["password"] = adminCredentials.Password,
                ["name"] = "Demo",
                ["lastname"] = "Administrator",
            },
        });
        var (organisation, _) = await services.GetRequiredService<OrganisationService>().CreateAsync(
            OrganisationFields.Read(form.Section("Organisation")), UserFields.Read(form.Section("User")), cancellationToken);
        var (_, apiKey) = await services.GetRequiredService<ApiKeyService>().CreateAsync(organisation, OrganisationModes.Test, "Demo key", cancellationToken);
        return new Demo(operatorCredentials, organisation.Id, adminCredentials, apiKey, functionsAdminKey);
    }

    private static async Task<bool> StillValidAsync(IServiceProvider services, Demo demo, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IdentityStore>();
        var passwords = services.GetRequiredService<PasswordHasher>();
        foreach (var credentials in new[] { demo.Operator, demo.Admin })
        {
            var login = await store.GetLoginAsync(credentials.Username, cancellationToken);
            var user = login is null ? null : await store.GetUserAsync(login.OrganisationId, login.UserId, cancellationToken);
            if (user is null || !passwords.Verify(credentials.Password, user.PasswordHash)) return false;
        }
        return (await services.GetRequiredService<ApiKeyService>().FindAsync(demo.ApiKey, cancellationToken))?.OrganisationId == demo.OrganisationId;
    }

    private static string NewPassword() => Secrets.Base64Url(15);
}
