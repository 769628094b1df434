using Gateway.Identity;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

/// <summary>
/// Agents use only the services activated for them (the documents license services per user); administrators and
/// API keys act for the organisation. Each payment route belongs to one service, named by its 403.
/// </summary>
public sealed class AgentServiceTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Theory]
    [InlineData("POST", "/api/v1/payment-key", Services.EftX, "EftX")]
    [InlineData("POST", "/api/v1/pay/direct", Services.Direct, "Direct")]
    [InlineData("POST", "/api/v1/pay/auth", Services.Direct, "Direct")]
    [InlineData("PUT", "/api/v1/pay/settle", Services.Direct, "Direct")]
    [InlineData("POST", "/api/v1/customer-token/direct", Services.PayPerToken, "Pay per token")]
    [InlineData("POST", "/api/v1/payment-schedule", Services.PayPerToken, "Pay per token")]
    [InlineData("POST", "/api/v1/express/sms", Services.NotifyExpress, "Notify Express")]
    public async Task AnAgentNeedsTheRoutesServiceActivated(string method, string path, int serviceId, string name)
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        using var agentClient = app.ClientFor(agent);
        HttpRequestMessage Request() => new(new HttpMethod(method), path)
        {
            Content = new FormUrlEncodedContent([new("amount", "1.00")]),
        };

        var refused = await agentClient.SendAsync(Request());
        Assert.Contains($"{name} service", await refused.ErrorAsync(403));

        await app.ActivateAsync(organisation, agentId, serviceId);
        Assert.NotEqual(System.Net.HttpStatusCode.Forbidden, (await agentClient.SendAsync(Request())).StatusCode);
        // Another service does not stand in for it.
        var (other, otherId) = await app.CreateUserAsync(organisation);
        await app.ActivateAsync(organisation, otherId, Services.All.Select(s => s.Id).Where(id => id != serviceId)
            .First(id => id is Services.EftX or Services.Direct or Services.PayPerToken or Services.NotifyExpress));
        using var otherClient = app.ClientFor(other);
        await (await otherClient.SendAsync(Request())).ErrorAsync(403);
    }

    [Fact]
    public async Task AdministratorsNeedNoService()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);

        await (await admin.PostFormAsync("/api/v1/payment-key", ("amount", "1.00"), ("merchant_reference", "a")))
            .JsonAsync(200);
    }
}
