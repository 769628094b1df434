using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

/// <summary>The conventions every /api/v1 route shares: bodies, errors, statuses and request ids.</summary>
public sealed class RequestConventionTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task JsonAndBracketFormBodiesCreateTheSameUser()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var (formName, jsonName) = (Unique.Name("form"), Unique.Name("json"));

        var viaForm = await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/user",
            $"User%5Busername%5D={formName}&User[role]=agent&User[name]=Zo%C3%AB+Smith&User[contact_number]=0821234567")).JsonAsync(201);
        var viaJson = await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/user",
            "{\"User\":{\"username\":\"" + jsonName + "\",\"role\":\"agent\",\"name\":\"Zo\\u00EB Smith\",\"contact_number\":821234567}}",
            "application/json")).JsonAsync(201);

        foreach (var field in new[] { "name", "role", "organisation_id" })
        {
            Assert.Equal(viaForm.GetProperty(field).ToString(), viaJson.GetProperty(field).ToString());
        }
        Assert.Equal("Zoë Smith", viaForm.GetProperty("name").GetString());
        Assert.Equal("821234567", viaJson.GetProperty("contact_number").GetString());
    }

    [Fact]
    public async Task FormBodiesWithRawUtf8AreReadAsUtf8()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var username = Unique.Name("utf8");
        var body = Encoding.UTF8.GetBytes($"User[username]={username}&User[role]=agent&User[name]=Jürgen&User[password]=pässwörd1");

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/user")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") } },
        });

        Assert.Equal("Jürgen", (await response.JsonAsync(201)).GetProperty("name").GetString());
        using var right = app.ClientFor(new Credentials(username, "pässwörd1"));
        await (await right.PostAsync("/api/v1/token", null)).JsonAsync(200);
        using var lookalike = app.ClientFor(new Credentials(username, "pßsswörd1"));
        await (await lookalike.PostAsync("/api/v1/token", null)).ErrorAsync(401);
    }

    [Fact]
    public async Task FieldNamesMatchWhateverTheirCaseSoCamelCasedJsonWorks()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var created = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/user",
            new { User = new { Username = Unique.Name("camel"), Role = "agent" } })).JsonAsync(201);
        Assert.Equal("agent", created.GetProperty("role").GetString());

        Assert.Contains("twice", await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/user",
            """{"User":{"username":"a1b2c3"},"user":{"role":"agent"}}""", "application/json")).ErrorAsync(400));
    }

    [Theory]
    [InlineData("serviceId[]=1&serviceId[]=2", "application/x-www-form-urlencoded")]
    [InlineData("serviceId[0]=1&serviceId[1]=2", "application/x-www-form-urlencoded")]
    [InlineData("serviceId%5B%5D=1&serviceId%5B%5D=2", "application/x-www-form-urlencoded")]
    [InlineData("""{"serviceId":[1,2]}""", "application/json")]
    [InlineData("""{"serviceId":["1","2"]}""", "application/json; charset=utf-8")]
    [InlineData("""{"serviceId":{"0":1,"1":2}}""", "application/json")]
    public async Task ListsArriveTheSameWhicheverWayTheyAreWritten(string body, string contentType)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "1"), ("serviceId[2]", "1"))).JsonAsync(200);

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/user/{organisation.AdminId}/activate")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } },
        });

        var activated = await response.JsonAsync(200);
        Assert.Equal("""{"agent_assist":"Activated","agent_monitor":"Activated"}""", activated.GetProperty("services").GetRawText());
    }

    [Theory]
    [InlineData("{", "application/json", "not valid JSON")]
    [InlineData("[1,2]", "application/json", "must be an object")]
    [InlineData("\"text\"", "application/json", "must be an object")]
    [InlineData("""{"User":"agent"}""", "application/json", "User")]
    [InlineData("""{"User":{"username":{"a":1},"role":"agent"}}""", "application/json", "User[username]")]
    [InlineData("""{"User":{"username":["x"],"role":"agent"}}""", "application/json", "User[username]")]
    [InlineData("""{"User":{"username":true,"role":"agent"}}""", "application/json", "User[username]")]
    [InlineData("""{"User":{"username":"abc\ud800","role":"agent"}}""", "application/json", "User[username]")]
    [InlineData("""{"User":{"username":"abc","role":"agent","name":"bad\u0000nul"}}""", "application/json", "User[name]")]
    [InlineData("User=1&User[name]=2", "application/x-www-form-urlencoded", "User")]
    [InlineData("User[name]=1&User[name][x]=2", "application/x-www-form-urlencoded", "User[name]")]
    [InlineData("User[username=abc", "application/x-www-form-urlencoded", "not a valid field name")]
    [InlineData("[x]=1", "application/x-www-form-urlencoded", "not a valid field name")]
    [InlineData("User[username]=%FF%FE&User[role]=agent", "application/x-www-form-urlencoded", "not valid UTF-8")]
    [InlineData("User[username]=ab%00c&User[role]=agent", "application/x-www-form-urlencoded", "User[username]")]
    [InlineData("a[b][c][d][e][f][g][h][i][j]=1", "application/x-www-form-urlencoded", "nested too deeply")]
    public async Task MalformedBodiesAreA400ThatSaysWhatIsWrong(string body, string contentType, string expected)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var response = await client.SendRawAsync(HttpMethod.Post, "/api/v1/user", body, contentType);

        Assert.Contains(expected, await response.ErrorAsync(400));
        var users = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Equal(1, users.GetArrayLength());
    }

    [Fact]
    public async Task ThreeMegabyteBodiesAreA413AndNothingIsWritten()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);
        var username = Unique.Name("big");
        var body = $"User[username]={username}&User[role]=agent&User[name]=" + new string('a', 3 * 1024 * 1024);

        await (await client.SendRawAsync(HttpMethod.Post, "/api/v1/user", body)).ErrorAsync(413);

        // Without a Content-Length (chunked), the limit holds too.
        var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/v1/user")
        {
            Content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(body))),
        };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        chunked.Headers.TransferEncodingChunked = true;
        await (await client.SendAsync(chunked)).ErrorAsync(413);

        var users = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.DoesNotContain(username, users.GetRawText());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/x-www-form-urlencoded; charset=iso-8859-1")]
    public async Task UnsupportedBodyTypesAreA415(string contentType)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/user")
        {
            Content = new ByteArrayContent("User[username]=abc&User[role]=agent"u8.ToArray()) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } },
        });

        await response.ErrorAsync(415);
    }

    [Theory]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/api/v2/user/1")]
    [InlineData("/nowhere")]
    [InlineData("/api/v1/user/1/unknown")]
    public async Task UnknownRoutesAreA404InTheErrorShape(string path)
    {
        using var client = app.CreateClient();
        await (await client.GetAsync(path)).ErrorAsync(404);
    }

    [Fact]
    public async Task WrongMethodsAreA405ListingTheAllowedOnes()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var response = await client.DeleteAsync($"/api/v1/user/{organisation.AdminId}");

        Assert.Contains("GET, PUT", await response.ErrorAsync(405));
    }

    [Fact]
    public async Task EveryResponseCarriesARequestIdAndASaneOneIsKept()
    {
        using var client = app.CreateClient();
        var generated = await client.GetAsync("/api/health");
        Assert.Matches("^[0-9a-f]{32}$", generated.Headers.GetValues("X-Request-Id").Single());

        var kept = new HttpRequestMessage(HttpMethod.Get, "/api/nothing");
        kept.Headers.Add("X-Request-Id", "merchant-trace-0001");
        Assert.Equal("merchant-trace-0001", (await client.SendAsync(kept)).Headers.GetValues("X-Request-Id").Single());

        var replaced = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        replaced.Headers.TryAddWithoutValidation("X-Request-Id", "bad id with spaces and \"quotes\"");
        Assert.Matches("^[0-9a-f]{32}$", (await client.SendAsync(replaced)).Headers.GetValues("X-Request-Id").Single());
    }
}
