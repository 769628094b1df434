using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Data.Tables;
using Gateway.Collections;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Collections;

/// <summary>
/// Who may see and touch collections, and what careless or hostile input gets: tenants isolated on every endpoint
/// that takes an id, a 4xx naming the field for every bad body, nothing half-written, account numbers never shown.
/// </summary>
public sealed class CollectionsAccessTests(CollectionsApp app) : IClassFixture<CollectionsApp>
{
    /// <summary>A merchant with one of everything: customer, account, mandate, payment and a booked transaction.</summary>
    private sealed record Book(CollectionsMerchant Merchant, string Customer, string Account, string Mandate, string Payment,
        string Transaction, string Reference) : IDisposable
    {
        public void Dispose() => Merchant.Dispose();
    }

    private async Task<Book> BookAsync()
    {
        var merchant = await app.CollectionsMerchantAsync();
        await merchant.ClockAsync("2027-05-04 09:00:00");
        var customer = await merchant.CustomerAsync();
        var account = await merchant.AccountAsync(customer, "1000000000");
        var mandate = (await merchant.MandateAsync(customer, account)).Text("id");
        var reference = "REF-" + Guid.NewGuid().ToString("N")[..8];
        var payment = (await merchant.PaymentAsync(mandate, "10", "monthly", "2027-05-04", reference)).Text("id");
        await app.RunSubmissionAsync();
        var transaction = (await merchant.RecordAsync(reference)).Text("id");
        return new Book(merchant, customer, account, mandate, payment, transaction, reference);
    }

    public static TheoryData<string, string> IdEndpoints => new()
    {
        { "GET", "/api/collections/customers/{customer}" },
        { "PUT", "/api/collections/customers/{customer}" },
        { "GET", "/api/collections/bank-accounts/{account}" },
        { "POST", "/api/collections/bank-accounts/{account}/cancel" },
        { "GET", "/api/collections/mandates/{mandate}" },
        { "POST", "/api/collections/mandates/{mandate}/cancel" },
        { "GET", "/api/collections/payments/{payment}" },
        { "PUT", "/api/collections/payments/{payment}" },
        { "POST", "/api/collections/payments/{payment}/cancel" },
        { "GET", "/api/collections/transactions/{transaction}" },
        { "GET", "/api/collections/transactions/record/{reference}" },
    };

    [Fact]
    public async Task AnotherOrganisationsCredentialsSeeAndTouchNothingOnAnyEndpointThatTakesAnId()
    {
        using var book = await BookAsync();
        using var other = await app.CollectionsMerchantAsync();
        var before = await SnapshotAsync(book.Merchant);
        foreach (var (method, path) in IdEndpoints.Select(row => ((string)row[0], (string)row[1])))
        {
            var url = Fill(path, book);
            var body = method == "GET" ? null : Json("{\"first_name\":\"Mallory\",\"amount\":1}");
            Assert.Contains("in this organisation", await (await other.Api.SendAsync(Request(method, url, body))).ErrorAsync(404));
            // The owner can, so the 404 is about the tenant and not the URL.
            if (method == "GET") await (await book.Merchant.Api.GetAsync(url)).JsonAsync(200);
        }
        // Another organisation's ids in a body are no ids at all.
        Assert.Contains("customers_id", await (await other.Api.PostFormAsync("/api/collections/bank-accounts",
            ("customers_id", book.Customer), ("bank", "fnb"), ("branch_code", "250655"), ("account_number", "1000000000"),
            ("account_type", "cheque"), ("account_holder", "M"))).ErrorAsync(400));
        Assert.Contains("mandates_id", await (await other.Api.PostFormAsync("/api/collections/payments", ("mandates_id", book.Mandate),
            ("amount", "1"), ("frequency", "once"), ("action_date", "2027-05-04"), ("transaction_reference", "x"))).ErrorAsync(400));
        foreach (var list in new[] { "customers", "bank-accounts", "mandates", "payments", "transactions" })
        {
            var shown = (await (await other.Api.GetAsync($"/api/collections/{list}")).JsonAsync(200)).GetProperty(list.Replace('-', '_'));
            Assert.Equal(0, shown.GetArrayLength());
        }
        Assert.Equal(before, await SnapshotAsync(book.Merchant));
    }

    [Theory]
    [MemberData(nameof(IdEndpoints))]
    public async Task IdsThatAreNotIdsAreNotFound(string method, string path)
    {
        using var merchant = await app.CollectionsMerchantAsync();
        foreach (var id in new[] { "cus_x'%20or%20'1'%3D'1", "%27", "cus_", "cus_AAAAAAAAAAAAAAAAAAAAA%27", "%E2%80%AE1" })
        {
            var url = System.Text.RegularExpressions.Regex.Replace(path, "{[a-z]+}", id);
            var body = method == "GET" ? null : Json("{}");
            await (await merchant.Api.SendAsync(Request(method, url, body))).ErrorAsync(404);
        }
    }

    [Fact]
    public async Task WithoutCredentialsIts401AndAnAgentIsRefused()
    {
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync("/api/collections/customers")).ErrorAsync(401);
        var organisation = await app.CreateOrganisationAsync();
        var (agent, _) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(agent);
        await (await client.GetAsync("/api/collections/transactions")).ErrorAsync(403);
        await (await client.PostFormAsync("/api/collections/customers", ("first_name", "A"), ("last_name", "B"))).ErrorAsync(403);
    }

    public static TheoryData<string, string> BodyEndpoints => new()
    {
        { "POST", "/api/collections/customers" },
        { "PUT", "/api/collections/customers/{customer}" },
        { "POST", "/api/collections/bank-accounts" },
        { "POST", "/api/collections/mandates" },
        { "POST", "/api/collections/payments" },
        { "PUT", "/api/collections/payments/{payment}" },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task BadBodiesAre4xxNamingTheFieldAndWriteNothing(string method, string path)
    {
        using var book = await BookAsync();
        var url = Fill(path, book);
        var before = await SnapshotAsync(book.Merchant);
        var field = FieldOf(method, path);
        foreach (var body in new[] { "{\"", "[]", "null", "{\"a\":1,\"A\":2}" })
        {
            await (await book.Merchant.Api.SendAsync(Request(method, url, Json(body)))).ErrorAsync(400);
        }
        foreach (var value in new[] { "{\"nested\":true}", "[1,2]", "\"\\u202Eevil\"", "\"a\\u0000b\"", "\"\\uD800x\"" })
        {
            var error = await (await book.Merchant.Api.SendAsync(Request(method, url, Json($"{{\"{field}\":{value}}}")))).ErrorAsync(400);
            Assert.Contains(field, error);
        }
        foreach (var form in new[] { $"{field}=flat&{field}[x]=nested", $"{field}[=1", $"{field}=%C0%AF" })
        {
            await (await book.Merchant.Api.SendAsync(Request(method, url, Form(form)))).ErrorAsync(400);
        }
        var huge = Form($"{field}=" + new string('x', 3 * 1024 * 1024));
        await (await book.Merchant.Api.SendAsync(Request(method, url, huge))).ErrorAsync(413);
        var xml = new ByteArrayContent("<a/>"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/xml") } };
        await (await book.Merchant.Api.SendAsync(Request(method, url, xml))).ErrorAsync(415);
        Assert.Equal(before, await SnapshotAsync(book.Merchant));
    }

    [Fact]
    public async Task EachFieldIsCheckedAndNamed()
    {
        using var book = await BookAsync();
        var api = book.Merchant.Api;
        async Task Refused(string path, string field, params (string, string)[] fields) =>
            Assert.Contains(field, await (await api.PostFormAsync(path, fields)).ErrorAsync(400));

        await Refused("/api/collections/customers", "first_name", ("last_name", "B"));
        await Refused("/api/collections/customers", "email", ("first_name", "A"), ("last_name", "B"), ("email", "not-an-email"));
        await Refused("/api/collections/customers", "mobile", ("first_name", "A"), ("last_name", "B"), ("mobile", "12ab"));
        (string, string)[] account = [("customers_id", book.Customer), ("bank", "fnb"), ("branch_code", "250655"),
            ("account_number", "1000000000"), ("account_type", "cheque"), ("account_holder", "A")];
        await Refused("/api/collections/bank-accounts", "bank", [.. account.Where(f => f.Item1 != "bank"), ("bank", "Bank of Mars")]);
        await Refused("/api/collections/bank-accounts", "branch_code", [.. account.Where(f => f.Item1 != "branch_code"), ("branch_code", "25065")]);
        await Refused("/api/collections/bank-accounts", "account_number",
            [.. account.Where(f => f.Item1 != "account_number"), ("account_number", "123456")]);
        await Refused("/api/collections/bank-accounts", "account_number",
            [.. account.Where(f => f.Item1 != "account_number"), ("account_number", "12345678901' or 1")]);
        await Refused("/api/collections/bank-accounts", "account_type", [.. account.Where(f => f.Item1 != "account_type"), ("account_type", "gold")]);
        await Refused("/api/collections/mandates", "payment_methods_id", ("customers_id", book.Customer),
            ("bank_accounts_id", book.Account), ("payment_methods_id", "pam_cash"));
        (string, string)[] payment = [("mandates_id", book.Mandate), ("amount", "10"), ("frequency", "monthly"),
            ("action_date", "2027-06-01"), ("transaction_reference", "FIELDS")];
        await Refused("/api/collections/payments", "amount", [.. payment.Where(f => f.Item1 != "amount"), ("amount", "-1")]);
        await Refused("/api/collections/payments", "amount", [.. payment.Where(f => f.Item1 != "amount"), ("amount", "1.001")]);
        await Refused("/api/collections/payments", "frequency", [.. payment.Where(f => f.Item1 != "frequency"), ("frequency", "daily")]);
        await Refused("/api/collections/payments", "action_date", [.. payment.Where(f => f.Item1 != "action_date"), ("action_date", "01-06-2027")]);
        await Refused("/api/collections/payments", "action_date", [.. payment.Where(f => f.Item1 != "action_date"), ("action_date", "2027-05-03")]);
        await Refused("/api/collections/payments", "transaction_reference", [.. payment.Where(f => f.Item1 != "transaction_reference")]);
        foreach (var query in new[] { "transaction_status_lookups_id=loo_x'%20or%20'1", "payment_methods_id=pam'", "charged_at_start_date=2027-13-01",
            "status_changed_at_end_date=tomorrow", "limit=0", "page_token=tra_'" })
        {
            await (await api.GetAsync("/api/collections/transactions?" + query)).ErrorAsync(400);
        }
    }

    [Fact]
    public async Task AnAccountNumberIsStoredSealedAndShownMaskedEverywhere()
    {
        using var book = await BookAsync();
        var view = (await (await book.Merchant.Api.GetAsync($"/api/collections/bank-accounts/{book.Account}")).JsonAsync(200))
            .GetProperty("bank_account");
        Assert.Equal("******0000", view.Text("account_number"));
        var list = await (await book.Merchant.Api.GetAsync("/api/collections/bank-accounts")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("1000000000", list);
        var row = await app.Service<GatewayTables>().Payments.GetEntityAsync<TableEntity>(
            CollectionsStore.Partition(book.Merchant.Id), book.Account);
        Assert.DoesNotContain("1000000000", string.Join("|", row.Value.Select(p => p.Value)));
    }

    [Fact]
    public async Task ALiveOrganisationCannotCollectWithoutABankIntegration()
    {
        using var merchant = await app.CollectionsMerchantAsync("live");
        var customer = await merchant.CustomerAsync();
        var account = await merchant.AccountAsync(customer, "1000000000");
        Assert.Contains("bank integration", await (await merchant.Api.PostFormAsync("/api/collections/mandates",
            ("customers_id", customer), ("bank_accounts_id", account), ("payment_methods_id", CollectionsCatalogue.EftDebitOrder)))
            .ErrorAsync(409));
    }

    [Fact]
    public async Task TwoPaymentsRacingForOneTransactionReferenceEndWithOne()
    {
        using var book = await BookAsync();
        var reference = "RACE-" + Guid.NewGuid().ToString("N")[..8];
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => book.Merchant.Api.PostFormAsync("/api/collections/payments",
            ("mandates_id", book.Mandate), ("amount", "5"), ("frequency", "once"), ("action_date", "2027-06-01"),
            ("transaction_reference", reference)))).ConfigureAwait(true);
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var payments = (await (await book.Merchant.Api.GetAsync($"/api/collections/payments?mandates_id={book.Mandate}"))
            .JsonAsync(200)).GetProperty("payments");
        Assert.Single(payments.EnumerateArray(), p => p.Text("transaction_reference") == reference);
    }

    [Fact]
    public async Task RetriesWithOneIdempotencyKeyRacingCreateOneCustomerAndAnswerTheSame()
    {
        using var merchant = await app.CollectionsMerchantAsync();
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Create(string name) => new(HttpMethod.Post, "/api/collections/customers")
        {
            Headers = { { "Idempotency-Key", key } },
            Content = new FormUrlEncodedContent([new("first_name", name), new("last_name", "Retry")]),
        };
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => merchant.Api.SendAsync(Create("Ann"))));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var ids = await Task.WhenAll(created.Select(async r => (await r.JsonAsync(201)).GetProperty("customer").Text("id")));
        Assert.Single(ids.Distinct());
        var replay = await merchant.Api.SendAsync(Create("Ann"));
        Assert.Equal(ids[0], (await replay.JsonAsync(201)).GetProperty("customer").Text("id"));
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await (await merchant.Api.SendAsync(Create("Bob"))).ErrorAsync(422);
        var customers = (await (await merchant.Api.GetAsync("/api/collections/customers")).JsonAsync(200)).GetProperty("customers");
        Assert.Equal([ids[0]], customers.EnumerateArray().Select(c => c.Text("id")));
    }

    [Fact]
    public async Task ListsPageByTheLastIdShown()
    {
        using var merchant = await app.CollectionsMerchantAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++) created.Add(await merchant.CustomerAsync("C" + i));
        var seen = new List<string>();
        var url = "/api/collections/customers?limit=2";
        for (var pages = 1; ; pages++)
        {
            var response = await merchant.Api.GetAsync(url);
            seen.AddRange((await response.JsonAsync(200)).GetProperty("customers").EnumerateArray().Select(c => c.Text("id")));
            if (!response.Headers.TryGetValues("X-Next-Page-Token", out var next)) break;
            Assert.True(pages < 3);
            url = $"/api/collections/customers?limit=2&page_token={next.Single()}";
        }
        Assert.Equal(created, seen);
    }

    private static string Fill(string path, Book book) => path.Replace("{customer}", book.Customer).Replace("{account}", book.Account)
        .Replace("{mandate}", book.Mandate).Replace("{payment}", book.Payment).Replace("{transaction}", book.Transaction)
        .Replace("{reference}", book.Reference);

    private static string FieldOf(string method, string path) => path switch
    {
        "/api/collections/payments" when method == "POST" => "mandates_id",
        _ when path.Contains("customers") => "first_name",
        _ when path.Contains("bank-accounts") => "customers_id",
        _ when path.Contains("mandates") => "customers_id",
        _ => "amount",
    };

    /// <summary>Everything the merchant's lists show: equal before and after means nothing was written.</summary>
    private static async Task<string> SnapshotAsync(CollectionsMerchant merchant)
    {
        var state = new StringBuilder();
        foreach (var list in new[] { "customers", "bank-accounts", "mandates", "payments", "transactions" })
        {
            state.Append(await (await merchant.Api.GetAsync($"/api/collections/{list}")).Content.ReadAsStringAsync());
        }
        return state.ToString();
    }

    private static HttpRequestMessage Request(string method, string url, HttpContent? body) =>
        new(new HttpMethod(method), url) { Content = body };

    private static ByteArrayContent Json(string body) =>
        new(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    private static ByteArrayContent Form(string body) =>
        new(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") } };
}
