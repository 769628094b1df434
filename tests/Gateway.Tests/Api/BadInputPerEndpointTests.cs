using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

/// <summary>
/// Every endpoint that reads a body, fed what careless or hostile clients send: each gets a clear 4xx in the
/// error shape, never a 500, and the organisation is left exactly as it was.
/// </summary>
public sealed class BadInputPerEndpointTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    /// <summary>(method, path template, group the body's fields live in); {org} and {user} are filled per test.</summary>
    public static TheoryData<string, string, string> BodyEndpoints => new()
    {
        { "POST", "/api/v1/organisation", "Organisation" },
        { "PUT", "/api/v1/organisation/{org}", "Organisation" },
        { "PUT", "/api/v1/organisation/{org}/licenseupdate", "serviceId" },
        { "POST", "/api/v1/user", "User" },
        { "PUT", "/api/v1/user/{user}", "User" },
        { "PUT", "/api/v1/user/{user}/activate", "serviceId" },
        { "PUT", "/api/v1/user/{user}/deactivate", "serviceId" },
        { "POST", "/api/v1/organisation/{org}/api-key", "ApiKey" },
    };

    public static TheoryData<string, string> IdEndpoints => new()
    {
        { "GET", "/api/v1/organisation/{id}" },
        { "PUT", "/api/v1/organisation/{id}" },
        { "PUT", "/api/v1/organisation/{id}/licenseupdate" },
        { "GET", "/api/v1/organisation/{id}/user" },
        { "GET", "/api/v1/user/{id}" },
        { "PUT", "/api/v1/user/{id}" },
        { "PUT", "/api/v1/user/{id}/activate" },
        { "PUT", "/api/v1/user/{id}/deactivate" },
        { "POST", "/api/v1/organisation/{id}/api-key" },
        { "GET", "/api/v1/organisation/{id}/api-key" },
        { "DELETE", "/api/v1/organisation/{org}/api-key/{id}" },
        { "GET", "/api/v1/customer-token/{id}" },
        { "DELETE", "/api/v1/customer-token/{id}" },
        { "POST", "/api/v1/customer-token/{id}/pay" },
        { "POST", "/api/v1/customer-token/{id}/auth" },
        { "GET", "/api/v1/organisation/{id}/test-clock" },
        { "PUT", "/api/v1/organisation/{id}/test-clock" },
        { "DELETE", "/api/v1/organisation/{id}/test-clock" },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task MalformedJsonIsA400(string method, string path, string group)
    {
        var (client, url, snapshot) = await ArrangeAsync(method, path);
        var before = await snapshot();
        foreach (var body in new[] { "{\"" + group + "\":", "[]", "null", "{\"" + group + "\": 42}", "{\"a\":1,\"A\":2}" })
        {
            await (await Send(client, method, url, body, "application/json")).ErrorAsync(400);
        }
        Assert.Equal(before, await snapshot());
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task MalformedFormsAndWrongTypesAreA400NamingTheField(string method, string path, string group)
    {
        var (client, url, snapshot) = await ArrangeAsync(method, path);
        var before = await snapshot();
        foreach (var body in new[] { $"{group}=flat&{group}[x]=nested", $"{group}[x][y]=1&{group}[x]=2", $"{group}[=1", $"{group}[a]=%C0%AF" })
        {
            await (await Send(client, method, url, body, "application/x-www-form-urlencoded")).ErrorAsync(400);
        }
        var wrongType = await (await Send(client, method, url, "{\"" + group + "\":{\"" + FirstField(group) + "\":{\"nested\":true}}}", "application/json")).ErrorAsync(400);
        Assert.Contains($"{group}[{FirstField(group)}]", wrongType);
        Assert.Equal(before, await snapshot());
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task HugeBodiesAre413AndOtherMediaTypes415(string method, string path, string group)
    {
        var (client, url, snapshot) = await ArrangeAsync(method, path);
        var before = await snapshot();
        var huge = $"{group}[{FirstField(group)}]=" + new string('x', 3 * 1024 * 1024);

        await (await Send(client, method, url, huge, "application/x-www-form-urlencoded")).ErrorAsync(413);
        await (await Send(client, method, url, "<User/>", "application/xml")).ErrorAsync(415);
        Assert.Equal(before, await snapshot());
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task QuotesAndOddUnicodeNeverReachStorageAsAnError(string method, string path, string group)
    {
        var (client, url, snapshot) = await ArrangeAsync(method, path);
        var before = await snapshot();
        foreach (var value in new[] { "\u202Eevil", "a\u0000b", "\uD800x" })
        {
            var json = "{\"" + group + "\":{\"" + FirstField(group) + "\":\"" + Escape(value) + "\"}}";
            Assert.Contains($"{group}[{FirstField(group)}]", await (await Send(client, method, url, json, "application/json")).ErrorAsync(400));
        }
        // A quote is ordinary text: taken as a name where names may hold it, refused where the field's format forbids it.
        var quoted = "{\"" + group + "\":{\"" + FirstField(group) + "\":\"x' or PartitionKey ne '\"}}";
        Assert.InRange((int)(await Send(client, method, url, quoted, "application/json")).StatusCode, 200, 499);
        if (group == "serviceId") Assert.Equal(before, await snapshot());
    }

    [Theory]
    [MemberData(nameof(IdEndpoints))]
    public async Task IdsThatAreNotIdsAreNotFound(string method, string path)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        foreach (var id in new[] { "x'%20or%20'1'%3D'1", "%27", "1e3", "-5", "0x10", "%E2%80%AE1" })
        {
            var url = path.Replace("{org}", organisation.Id.ToString(), StringComparison.Ordinal).Replace("{id}", id, StringComparison.Ordinal);
            var response = await Send(client, method, url, "", "application/x-www-form-urlencoded");
            await response.ErrorAsync(404);
        }
    }

    /// <summary>A fresh organisation with an agent, a client allowed to call the endpoint, and the organisation's state.</summary>
    private async Task<(HttpClient Client, string Url, Func<Task<string>> Snapshot)> ArrangeAsync(string method, string path)
    {
        var organisation = await app.CreateOrganisationAsync();
        var (_, userId) = await app.CreateUserAsync(organisation);
        var client = path == "/api/v1/organisation" && method == "POST"
            ? app.ClientFor(await app.OperatorAsync())
            : app.ClientFor(organisation.Admin);
        var url = path.Replace("{org}", organisation.Id.ToString(), StringComparison.Ordinal).Replace("{user}", userId.ToString(), StringComparison.Ordinal);
        return (client, url, async () =>
        {
            using var admin = app.ClientFor(organisation.Admin);
            var state = new StringBuilder();
            foreach (var part in new[] { "", "/user", "/api-key" })
            {
                state.Append((await (await admin.GetAsync($"/api/v1/organisation/{organisation.Id}{part}")).JsonAsync(200)).GetRawText());
            }
            return state.ToString();
        });
    }

    private static string FirstField(string group) => group switch
    {
        "Organisation" => "name",
        "User" => "username",
        "ApiKey" => "mode",
        _ => "1",
    };

    private static string Escape(string value) =>
        string.Concat(value.Select(c => c is '"' or '\\' || c < 0x20 || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString()));

    private static Task<HttpResponseMessage> Send(HttpClient client, string method, string url, string body, string contentType) =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } },
        });
}
