using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

public sealed class LoggingTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task LogsNeverContainPasswordsTokensOrKeysAndEveryRequestLineHasItsRequestId()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var admin = app.ClientFor(organisation.Admin);
        var token = (await (await admin.PostAsync("/api/v1/token", null)).JsonAsync(200)).GetProperty("token").GetString()!;
        var key = (await (await admin.PostFormAsync($"/api/v1/organisation/{organisation.Id}/api-key")).JsonAsync(201)).GetProperty("key").GetString()!;
        await (await admin.PutFormAsync($"/api/v1/user/{agentId}", ("User[password]", "rotated-secret-123"))).JsonAsync(200);
        using var wrong = app.ClientFor(agent with { Password = "guessed-password-9" });
        await (await wrong.GetAsync($"/api/v1/user/{agentId}")).ErrorAsync(401);
        using var bearer = app.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await (await bearer.GetAsync($"/api/v1/user/{organisation.AdminId}")).JsonAsync(200);
        using var withKey = app.ClientWithApiKey(key);
        await (await withKey.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);

        var lines = app.Logs.Lines;
        Assert.NotEmpty(lines);
        foreach (var secret in new[] { organisation.Admin.Password, agent.Password, "rotated-secret-123", "guessed-password-9", token, key })
        {
            Assert.DoesNotContain(lines, l => l.AllText.Contains(secret, StringComparison.Ordinal));
        }

        var requestLines = lines.Where(l => l.Category == "Gateway.Requests").ToList();
        Assert.Contains(requestLines, l => l.Message.Contains($"/api/v1/user/{agentId} responded 401", StringComparison.Ordinal));
        Assert.All(requestLines, l => Assert.Matches("^[0-9a-f]{32}$|^[A-Za-z0-9._:-]{8,128}$", l.Scope["RequestId"]));
        Assert.Equal(requestLines.Count, requestLines.Select(l => l.Scope["RequestId"]).Distinct().Count());
    }

    [Fact]
    public async Task LinesWrittenDuringARequestCarryThatRequestsId()
    {
        using var client = app.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/user/1");
        request.Headers.Add("X-Request-Id", "trace-" + Guid.NewGuid().ToString("N"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "bm8tc3VjaC11c2VyOnBhc3N3b3Jk");
        var id = request.Headers.GetValues("X-Request-Id").Single();

        await (await client.SendAsync(request)).ErrorAsync(401);

        var mine = app.Logs.Lines.Where(l => l.Scope.TryGetValue("RequestId", out var r) && r == id).ToList();
        Assert.Contains(mine, l => l.Category.StartsWith("Gateway.Identity", StringComparison.Ordinal));
        Assert.Contains(mine, l => l.Category == "Gateway.Requests");
    }
}
