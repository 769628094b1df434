using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>Another organisation's transactions are not found, through every route that names one.</summary>
public sealed class PaymentIsolationTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task EveryTransactionRouteAnswers404ForAnotherOrganisationsIds()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var sale = (await owner.Client.PayAsync(reference: "owned")).Transaction();
        var auth = (await owner.Client.PayAsync(reference: "owned", path: "auth")).Transaction();
        var (agent, agentId) = await app.CreateUserAsync(owner.Organisation);

        await (await other.Client.GetAsync($"/api/v1/gateway-transaction/{sale.Id()}")).ErrorAsync(404);
        await (await other.Client.GetAsync("/api/v1/gateway-transaction/?reference=owned")).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/gateway-transaction/?key={sale.Text("payment_key")}")).ErrorAsync(404);
        await (await other.Client.PutAsync($"/api/v1/gateway-transaction/refund/{sale.Id()}", null)).ErrorAsync(404);
        await (await other.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()))).ErrorAsync(404);
        await (await other.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_reference", auth.Text("gateway_reference")))).ErrorAsync(404);
        await (await other.Client.PutFormAsync("/api/v1/pay/reverse", ("gateway_reference", auth.Text("gateway_reference")))).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/organisation/{owner.Id}/gateway-transaction")).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/user/{agentId}/gateway-transaction")).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/user/{owner.Organisation.AdminId}/gateway-transaction")).ErrorAsync(404);

        // The other organisation's own lists and export never show the owner's transactions.
        var exported = await (await other.Client.GetAsync("/api/v1/export/gateway-transactions")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(sale.Text("gateway_reference"), exported);
        Assert.Empty((await (await other.Client.GetAsync($"/api/v1/organisation/{other.Id}/gateway-transaction")).JsonAsync(200)).EnumerateArray());

        // And nothing changed for the owner.
        Assert.Equal("complete", (await owner.Client.ViewAsync(sale.Id())).Text("status"));
        Assert.Equal("authorised", (await owner.Client.ViewAsync(auth.Id())).Text("status"));
        _ = agent;
    }

    [Fact]
    public async Task ApiKeysPayAndSeeOnlyTheirOrganisation()
    {
        using var owner = await app.MerchantAsync();
        var created = await (await owner.Client.PostFormAsync($"/api/v1/organisation/{owner.Id}/api-key")).JsonAsync(201);
        using var withKey = app.ClientWithApiKey(created.Text("key"));
        var t = (await withKey.PayAsync()).Transaction();
        Assert.Equal(t.Id(), (await owner.Client.ViewAsync(t.Id())).Id());
        await (await withKey.PutAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", null)).JsonAsync(200);

        using var other = await app.MerchantAsync();
        var otherSale = (await other.Client.PayAsync()).Transaction();
        await (await withKey.GetAsync($"/api/v1/gateway-transaction/{otherSale.Id()}")).ErrorAsync(404);
        await (await withKey.GetAsync($"/api/v1/organisation/{other.Id}/gateway-transaction")).ErrorAsync(404);
    }

    [Fact]
    public async Task OperatorsAndAnonymousCallersTakeNoPayments()
    {
        using var operatorClient = app.ClientFor(await app.OperatorAsync());
        await (await operatorClient.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card())).ErrorAsync(403);
        using var anonymous = app.CreateClient();
        await (await anonymous.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card())).ErrorAsync(401);
        await (await anonymous.PostFormAsync("/api/v1/payment-key", ("amount", "1"), ("merchant_reference", "r"))).ErrorAsync(401);
        await (await anonymous.GetAsync("/api/v1/gateway-transaction/1")).ErrorAsync(401);
    }
}
