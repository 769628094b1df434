using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cashier;

/// <summary>
/// Who reaches the cashier and what they may send: API keys and administrators of the organisation only, each
/// organisation seeing only its own transactions; test keys only the simulator; bad input a 400 in the error
/// object with nothing written; card data never stored; the providers an organisation offers.
/// </summary>
public sealed class CashierAccessTests(CashierGatewayApp app) : IClassFixture<CashierGatewayApp>
{
    [Fact]
    public async Task AnotherOrganisationsCredentialsFindNoneOfItsTransactionsAndChangeNothing()
    {
        using var owner = await app.CashierMerchantAsync();
        var payout = await owner.RequestPayoutAsync(app);
        var tracking = Guid.NewGuid().ToString();
        var deposit = (await (await owner.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: tracking))).JsonAsync(200)).Text("transaction_id");

        using var other = await app.CashierMerchantAsync();
        foreach (var client in new[] { other.Api, other.Merchant.Client })
        {
            foreach (var id in new[] { payout, deposit, tracking })
            {
                await (await client.GetAsync($"/api/cashier/transactions/{id}")).ErrorAsync(404);
                await (await client.GetAsync($"/api/v1/payout/100/{id}")).ErrorAsync(404);
                await (await client.PostJsonAsync("/api/cashier/payout/approve",
                    new JsonObject { ["transaction_id"] = id })).ErrorAsync(404);
                await (await client.PostJsonAsync("/api/cashier/payout/reject",
                    new JsonObject { ["transaction_id"] = id })).ErrorAsync(404);
            }
            Assert.Empty((await ListAsync(client)).EnumerateArray());
        }
        // The tracking id is the owner's: the other organisation opening one with it opens its own.
        await (await other.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(trackingId: tracking))).JsonAsync(200);

        Assert.Equal("pending", (await owner.StatusAsync(payout)).Text("transaction_status"));
        await (await owner.DecideAsync("approve", payout)).JsonAsync(200);
        Assert.Equal(2, (await owner.ListAsync()).GetArrayLength());
    }

    [Fact]
    public async Task OnlyTheOrganisationsKeysAndAdministratorsReachTheCashier()
    {
        using var merchant = await app.CashierMerchantAsync();
        using var anonymous = app.CreateClient();
        await (await anonymous.PostJsonAsync("/api/cashier/deposit", CashierKit.Body())).ErrorAsync(401);
        await (await anonymous.GetAsync("/api/cashier/transactions")).ErrorAsync(401);
        using var revoked = app.ClientWithApiKey("sk_test_" + new string('x', 40));
        await (await revoked.GetAsync("/api/cashier/transactions")).ErrorAsync(401);

        var (agent, _) = await app.CreateUserAsync(merchant.Merchant.Organisation);
        using var asAgent = app.ClientFor(agent);
        await (await asAgent.PostJsonAsync("/api/cashier/deposit", CashierKit.Body())).ErrorAsync(403);
        await (await asAgent.GetAsync("/api/cashier/transactions")).ErrorAsync(403);

        // Administrators may use it as their keys do.
        await (await merchant.Merchant.Client.PostJsonAsync("/api/cashier/deposit", CashierKit.Body())).JsonAsync(200);
    }

    [Fact]
    public async Task ATestKeyOfALiveOrganisationReachesOnlyTheSimulatorAndALiveKeyNeedsAConnector()
    {
        using var testKey = await app.CashierMerchantAsync(mode: "live", keyMode: "test");
        var answer = await (await testKey.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody())).JsonAsync(200);
        Assert.Equal("pending", answer.Text("transaction_status"));
        Assert.Contains("request[mode]", await (await testKey.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body(change: r => r["mode"] = "live"))).ErrorAsync(400));

        using var liveKey = await app.CashierMerchantAsync(mode: "live", keyMode: "live");
        var refused = await (await liveKey.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(change: r => r["mode"] = "live"))).ErrorAsync(409);
        Assert.Contains("nothing was charged", refused);
        Assert.Contains("request[mode]", await (await liveKey.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body())).ErrorAsync(400));
        Assert.Contains("request[currency]", await (await liveKey.Api.PostJsonAsync("/api/cashier/deposit",
            CashierKit.Body(currency: "EUR", change: r => r["mode"] = "live"))).ErrorAsync(400));
        Assert.Empty((await liveKey.ListAsync()).EnumerateArray());
    }

    [Fact]
    public async Task BadBodiesAreA400NamingTheFieldAndWriteNothing()
    {
        using var merchant = await app.CashierMerchantAsync();
        var raw = new[] { "{\"request\":", "[]", "null", "{\"request\": 42}", "{}", "{\"request\":{\"a\":1,\"A\":2}}" };
        foreach (var path in new[] { "/api/cashier/deposit", "/api/cashier/deposit/direct", "/api/cashier/deposit/s2s",
                     "/api/cashier/payout" })
        {
            foreach (var body in raw)
            {
                await (await merchant.Api.SendRawAsync(HttpMethod.Post, path, body, "application/json"))
                    .ErrorAsync(400);
            }
        }
        var cases = new (string Field, JsonNode? Value, string Named)[]
        {
            ("user_id", null, "request[user_id]"), ("tracking_id", null, "request[tracking_id]"),
            ("tracking_id", new string('t', 129), "request[tracking_id]"),
            ("tracking_id", "bad\u0001id", "request[tracking_id]"),
            ("amount", "ten", "request[amount]"), ("amount", -1, "request[amount]"),
            ("amount", 10.001, "request[amount]"), ("amount", true, "request[amount]"),
            ("currency", "XXX", "request[currency]"), ("currency", null, "request[currency]"),
            ("ip", "999.1.1.1", "request[ip]"), ("theme", "blue", "request[theme]"), ("mode", "prod", "request[mode]"),
            ("amount_restricted", "maybe", "request[amount_restricted]"), ("settings", "x", "request[settings]"),
            ("customer", 5, "request[customer]"), ("user_id", new JsonObject(), "request[user_id]"),
        };
        foreach (var (field, value, named) in cases)
        {
            var body = CashierKit.Body(change: r =>
            {
                if (value is null) r.Remove(field);
                else r[field] = value.DeepClone();
            });
            Assert.Contains(named, await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", body))
                .ErrorAsync(400));
        }
        var customer = new (string Field, JsonNode Value)[]
        {
            ("email", "not-an-email"), ("dob", "2000-03-05"), ("country_code", "gbr"), ("max_deposit_limit", "lots"),
            ("first_name", "\u0000"),
        };
        foreach (var (field, value) in customer)
        {
            var body = CashierKit.Body(change: r => r["customer"]![field] = value.DeepClone());
            Assert.Contains($"request[customer][{field}]",
                await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", body)).ErrorAsync(400));
        }
        var phone = CashierKit.Body(change: r => r["customer"]!["phone"]!["number"] = "+44 78");
        Assert.Contains("request[customer][phone][number]",
            await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", phone)).ErrorAsync(400));

        var huge = "{\"request\":{\"user_id\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}";
        await (await merchant.Api.SendRawAsync(HttpMethod.Post, "/api/cashier/deposit", huge, "application/json"))
            .ErrorAsync(413);
        await (await merchant.Api.SendRawAsync(HttpMethod.Post, "/api/cashier/deposit", "request=1", "text/plain"))
            .ErrorAsync(415);
        Assert.Empty((await merchant.ListAsync()).EnumerateArray());
    }

    [Fact]
    public async Task AFormBodyIsReadLikeTheJsonOne()
    {
        using var merchant = await app.CashierMerchantAsync();
        var tracking = Guid.NewGuid().ToString();
        (string, string)[] fields =
        [
            ("request[user_id]", "128"), ("request[tracking_id]", tracking), ("request[amount]", "10.05"),
            ("request[currency]", "ZAR"), ("request[customer][max_deposit_limit]", "1000"),
            ("request[customer][phone][number]", "783433252"),
        ];
        var form = await (await merchant.Api.PostFormAsync("/api/cashier/deposit", fields)).JsonAsync(200);
        var json = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", new JsonObject
        {
            ["request"] = new JsonObject
            {
                ["user_id"] = 128, ["tracking_id"] = tracking, ["amount"] = 10.05, ["currency"] = "ZAR",
                ["customer"] = new JsonObject
                {
                    ["max_deposit_limit"] = 1000, ["phone"] = new JsonObject { ["number"] = 783433252 }
                },
            },
        })).JsonAsync(200);
        Assert.Equal(form.Text("token"), json.Text("token"));
    }

    [Fact]
    public async Task OddIdsAndDatesAreA4xxNeverA500()
    {
        using var merchant = await app.CashierMerchantAsync();
        foreach (var id in new[] { "x' or '1' eq '1", "%27%27", "ü✓", new string('a', 300), "a%2Fb", "%E2%80%AE" })
        {
            await (await merchant.Api.GetAsync($"/api/cashier/transactions/{id}")).ErrorAsync(404);
            await (await merchant.Api.GetAsync($"/api/v1/payout/100/{id}")).ErrorAsync(404);
        }
        foreach (var id in new[] { "x' or '1' eq '1", "''", "ü✓", "a/b", "a#b" })
        {
            await (await merchant.DecideAsync("approve", id)).ErrorAsync(404);
            await (await merchant.DecideAsync("reject", id)).ErrorAsync(404);
        }
        Assert.Contains("transaction_id",
            await (await merchant.DecideAsync("reject", new string('a', 129))).ErrorAsync(400));
        foreach (var query in new[] { "?from=2024-08-01", "?from=32-01-2024", "?from=01-08-2024&to=09-08-2024",
                     "?from=02-08-2024&to=01-08-2024", "?from=01-08-2024&from=02-08-2024", "?to=x'" })
        {
            await (await merchant.Api.GetAsync("/api/cashier/transactions" + query)).ErrorAsync(400);
        }
        Assert.Empty((await (await merchant.Api.GetAsync("/api/cashier/transactions?from=01-08-2024&to=08-08-2024"))
            .JsonAsync(200)).EnumerateArray());
    }

    [Fact]
    public async Task TheListAnswersTheDocumentsFieldsAndTodayByDefault()
    {
        using var merchant = await app.CashierMerchantAsync();
        var id = (await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined, change: r => r["user_id"] = "U123"))).JsonAsync(200))
            .Text("transaction_id");
        await (await merchant.Api.PostJsonAsync("/api/cashier/deposit", CashierKit.Body())).JsonAsync(200);
        var today = await (await merchant.Api.GetAsync("/api/cashier/transactions")).JsonAsync(200);
        Assert.Equal(2, today.GetArrayLength());
        var t = today[0];
        Assert.Equal(
        [
            "transaction_id", "gateway_transaction_id", "provider_transaction_id", "transaction_type",
            "transaction_date", "status", "payment_provider", "customer_id", "amount", "currency", "user_amount",
            "user_currency", "fx_amount",
        ], t.Keys());
        Assert.Equal(id, t.Text("transaction_id"));
        Assert.Matches("^[a-z0-9]{15}$", t.Text("gateway_transaction_id"));
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", t.Text("transaction_date"));
        Assert.Equal(("deposit", "rejected", "card_simulator", "U123"), (t.Text("transaction_type"), t.Text("status"),
            t.Text("payment_provider"), t.Text("customer_id")));
        Assert.Equal(10.05m, t.GetProperty("amount").GetDecimal());
        Assert.Equal(0m, t.GetProperty("fx_amount").GetDecimal());
        // A numeric user id is a number, as the document's customer_id.
        Assert.Equal(System.Text.Json.JsonValueKind.Number, today[1].GetProperty("customer_id").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, today[1].GetProperty("provider_transaction_id").ValueKind);
    }

    [Fact]
    public async Task NoCardNumberOrCvcIsStoredOrLogged()
    {
        using var merchant = await app.CashierMerchantAsync();
        const string card = "4000056655665556";
        await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s", CashierKit.S2SBody(card,
            change: r => r["card_details"]!["cvc"] = "987"))).JsonAsync(200);
        var token = await merchant.OpenAsync();
        await app.SubmitAtAsync(token, 210, ("pan", "5555555555554444"), ("expiry", "1230"), ("cvv", "876"));

        var service = new TableServiceClient(app.Azurite.ConnectionString);
        var prefix = app.Settings["Storage:TablePrefix"]!;
        var text = new StringBuilder();
        var (values, names) = (new List<string>(), new HashSet<string>());
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0))
        {
            if (!table.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            await foreach (var row in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                foreach (var (name, value) in row)
                {
                    text.Append(value).Append('\n');
                    values.Add($"{value}");
                    names.Add(name);
                }
            }
        }
        var stored = text.ToString();
        Assert.Contains("cashier", stored);
        foreach (var secret in new[] { card, "5555555555554444", "\"987\"", "\"876\"" })
            Assert.DoesNotContain(secret, stored);
        Assert.DoesNotContain(values, v => v is "987" or "876");
        Assert.DoesNotContain(names, n => n.Contains("cvc", StringComparison.OrdinalIgnoreCase)
            || n.Contains("cvv", StringComparison.OrdinalIgnoreCase));
        var logged = string.Join('\n', app.Logs.Lines.Select(l => l.AllText));
        foreach (var secret in new[] { card, "5555555555554444", "\"987\"", "cvv=876" })
            Assert.DoesNotContain(secret, logged);
    }

    [Fact]
    public async Task TheOrganisationChoosesTheProvidersItOffers()
    {
        using var merchant = await app.CashierMerchantAsync();
        var all = await (await merchant.Api.GetAsync("/api/cashier/providers")).JsonAsync(200);
        Assert.Equal([210, 211, 310], all.EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        Assert.All(all.EnumerateArray(), p => Assert.True(p.GetProperty("enabled").GetBoolean()));
        var before = await merchant.OpenAsync();

        var chosen = await (await merchant.Api.SendJsonAsync(HttpMethod.Put, "/api/cashier/providers",
            new { enabled = new[] { 211 } })).JsonAsync(200);
        Assert.Equal([false, true, false], chosen.EnumerateArray().Select(p => p.GetProperty("enabled").GetBoolean()));

        // A new deposit offers only EFT (straight to its form); one opened before keeps its choice.
        var after = await merchant.OpenAsync();
        Assert.Contains("<h1>Instant EFT</h1>", await (await app.Payer().GetAsync($"/cashier/{after}")).HtmlAsync(200));
        Assert.Contains("provider=210", await (await app.Payer().GetAsync($"/cashier/{before}")).HtmlAsync(200));
        Assert.Contains("not enabled", await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody())).ErrorAsync(400));
        Assert.Contains("No withdrawal provider", await (await merchant.Api.PostJsonAsync("/api/cashier/payout",
            CashierKit.Body())).ErrorAsync(409));
        var card = await app.SubmitAtAsync(after, null, ("provider", "210"), ("pan", CashierKit.Approved),
            ("expiry", "1230"), ("cvv", "123"));
        Assert.Equal(400, (int)card.StatusCode);

        Assert.Contains("enabled[1]", await (await merchant.Api.SendJsonAsync(HttpMethod.Put, "/api/cashier/providers",
            new { enabled = new object[] { 210, "x" } })).ErrorAsync(400));
        await (await merchant.Api.SendJsonAsync(HttpMethod.Put, "/api/cashier/providers", new { })).ErrorAsync(400);
        using var other = await app.CashierMerchantAsync();
        Assert.All((await (await other.Api.GetAsync("/api/cashier/providers")).JsonAsync(200)).EnumerateArray(),
            p => Assert.True(p.GetProperty("enabled").GetBoolean()));
    }

    private static async Task<System.Text.Json.JsonElement> ListAsync(HttpClient client) =>
        await (await client.GetAsync("/api/cashier/transactions")).JsonAsync(200);
}
