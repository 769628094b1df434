using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Webhooks;
using Gateway.Webhooks;

namespace Gateway.Tests.Cashier;

/// <summary>
/// The cashier's webhook settings (document 003): its webhook URL, its signature password and the x-signature it
/// makes, through the organisation API, and who may see what.
/// </summary>
public sealed class CashierSettingsTests(WebhookGatewayApp app) : IClassFixture<WebhookGatewayApp>
{
    private const string DocumentPayload = """
        {
        "transaction_id":"r21nmrtpcmrcava",
        "user_id":"1111222",
        "tracking_id":"b8f04416-116a-11ed-861d-0242ac120002",
        "status":"rejected",
        "currency":"GBP",
        "amount":"200.00",
        "transaction_type":"withdrawal"
        }
        """;

    [Fact]
    public void TheDocumentsWorkedExampleGivesItsHash()
    {
        // JSON.stringify of the data object: compact, in the order written.
        var body = JsonNode.Parse(DocumentPayload)!.ToJsonString();
        Assert.StartsWith("""{"transaction_id":"r21nmrtpcmrcava","user_id":"1111222",""", body);
        Assert.Equal("5FDDA8F46411C132DCFBEE53C39BA06298CB48BC",
            CashierSignature.Of(body, "spg_test_companyxxxxQyGAheyMqcHVmp8ZMQtkYcev27sCu7RF"));
        Assert.NotEqual("5FDDA8F46411C132DCFBEE53C39BA06298CB48BC",
            CashierSignature.Of(body.Replace("200.00", "200.01", StringComparison.Ordinal),
                "spg_test_companyxxxxQyGAheyMqcHVmp8ZMQtkYcev27sCu7RF"));
    }

    [Fact]
    public async Task AdministratorsSeeAndRotateTheSignaturePasswordThatApiKeysCannotRead()
    {
        using var merchant = await app.MerchantAsync();
        var first = await PasswordAsync(merchant);
        Assert.Matches("^spg_test_[A-Za-z0-9]{40}$", first);

        var rotated = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            ("Organisation[signature_password_rotate]", "1"))).JsonAsync(200);
        var second = rotated.Text("signature_password");
        Assert.Matches("^spg_test_[A-Za-z0-9]{40}$", second);
        Assert.NotEqual(first, second);
        Assert.Equal(second, await PasswordAsync(merchant));

        // Another update leaves it alone.
        await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            ("Organisation[name]", "Renamed"))).JsonAsync(200);
        Assert.Equal(second, await PasswordAsync(merchant));

        var key = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key"))
            .JsonAsync(201)).Text("key");
        using var withKey = app.ClientWithApiKey(key);
        var byKey = await (await withKey.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.False(byKey.TryGetProperty("signature_password", out _));
        await (await withKey.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            ("Organisation[signature_password_rotate]", "1"))).ErrorAsync(403);
        Assert.Equal(second, await PasswordAsync(merchant));

        Assert.Contains("Organisation[signature_password_rotate]",
            await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
                ("Organisation[signature_password_rotate]", "yes"))).ErrorAsync(400));
        Assert.Equal(second, await PasswordAsync(merchant));
    }

    [Fact]
    public async Task TheCashierWebhookUrlIsSetClearedAndGuardedLikeTheOthers()
    {
        using var merchant = await app.MerchantAsync();
        await merchant.SetWebhooksAsync(("cashier_webhook_url", "http://127.0.0.1:9/cashier"));
        var viewed = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal("http://127.0.0.1:9/cashier", viewed.Text("cashier_webhook_url"));

        var error = await (await merchant.Client.PutFormAsync($"/api/v1/organisation/{merchant.Id}",
            ("Organisation[cashier_webhook_url]", "http://169.254.169.254/latest/meta-data"))).ErrorAsync(400);
        Assert.Contains("Organisation[cashier_webhook_url]", error);
        Assert.Contains("169.254.169.254", error);

        await merchant.SetWebhooksAsync(("cashier_webhook_url", ""));
        var cleared = await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("cashier_webhook_url").ValueKind);
    }

    [Fact]
    public async Task AnotherOrganisationsPasswordCannotBeReadOrRotated()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var password = await PasswordAsync(owner);
        await (await other.Client.GetAsync($"/api/v1/organisation/{owner.Id}")).ErrorAsync(404);
        await (await other.Client.PutFormAsync($"/api/v1/organisation/{owner.Id}",
            ("Organisation[signature_password_rotate]", "1"))).ErrorAsync(404);
        await (await other.Client.PutFormAsync($"/api/v1/organisation/{owner.Id}",
            ("Organisation[cashier_webhook_url]", "http://127.0.0.1:9/stolen"))).ErrorAsync(404);
        var viewed = await (await owner.Client.GetAsync($"/api/v1/organisation/{owner.Id}")).JsonAsync(200);
        Assert.Equal(password, viewed.Text("signature_password"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, viewed.GetProperty("cashier_webhook_url").ValueKind);
    }

    private static async Task<string> PasswordAsync(Merchant merchant) =>
        (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200))
            .Text("signature_password");
}
