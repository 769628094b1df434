using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

public sealed class LicenceTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task ActivationBeyondTheLicenceCountIsRefused()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (_, first) = await app.CreateUserAsync(organisation);
        var (_, second) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(organisation.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[12]", "1"))).JsonAsync(200);

        await (await client.PutFormAsync($"/api/v1/user/{first}/activate", ("serviceId[]", "12"))).JsonAsync(200);
        Assert.Contains("No EftX licence is available: 1 of 1 in use", await (await client.PutFormAsync(
            $"/api/v1/user/{second}/activate", ("serviceId[]", "12"))).ErrorAsync(409));

        await (await client.PutFormAsync($"/api/v1/user/{first}/deactivate", ("serviceId[]", "12"))).JsonAsync(200);
        await (await client.PutFormAsync($"/api/v1/user/{second}/activate", ("serviceId[]", "12"))).JsonAsync(200);
        var organisationView = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        var licence = organisationView.GetProperty("licenses").EnumerateArray().Single();
        Assert.Equal(12, licence.GetProperty("service_id").GetInt32());
        Assert.Equal(1, licence.GetProperty("in_use").GetInt32());
    }

    [Fact]
    public async Task ActivationIsIdempotentAndUnlicensedServicesAreRefused()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (_, agent) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(organisation.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[1]", "1"))).JsonAsync(200);

        await (await client.PutFormAsync($"/api/v1/user/{agent}/activate", ("serviceId[]", "1"))).JsonAsync(200);
        await (await client.PutFormAsync($"/api/v1/user/{agent}/activate", ("serviceId[]", "1"))).JsonAsync(200);
        await (await client.PutFormAsync($"/api/v1/user/{agent}/activate", ("serviceId[]", "2"))).ErrorAsync(409);

        var user = await (await client.GetAsync($"/api/v1/user/{agent}")).JsonAsync(200);
        Assert.Equal("[1]", user.GetProperty("services").GetRawText());
    }

    [Fact]
    public async Task ConcurrentActivationsNeverExceedTheLicences()
    {
        var organisation = await app.CreateOrganisationAsync();
        var agents = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.CreateUserAsync(organisation)));
        using var client = app.ClientFor(organisation.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[2]", "3"))).JsonAsync(200);

        var responses = await Task.WhenAll(agents.Select(async a =>
        {
            using var c = app.ClientFor(organisation.Admin);
            return await c.PutFormAsync($"/api/v1/user/{a.Id}/activate", ("serviceId[]", "2"));
        }));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var users = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}/user")).JsonAsync(200);
        Assert.Equal(3, users.EnumerateArray().Count(u => u.GetProperty("services").GetRawText() == "[2]"));
        var view = await (await client.GetAsync($"/api/v1/organisation/{organisation.Id}")).JsonAsync(200);
        Assert.Equal(3, view.GetProperty("licenses").EnumerateArray().Single().GetProperty("in_use").GetInt32());
    }

    [Fact]
    public async Task LicencesCannotGoBelowWhatIsInUse()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (_, agent) = await app.CreateUserAsync(organisation);
        using var client = app.ClientFor(organisation.Admin);
        await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[3]", "2"))).JsonAsync(200);
        await (await client.PutFormAsync($"/api/v1/user/{agent}/activate", ("serviceId[]", "3"))).JsonAsync(200);

        Assert.StartsWith("serviceId[3]", await (await client.PutFormAsync(
            $"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[3]", "0"))).ErrorAsync(409));
        var reduced = await (await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[3]", "1"))).JsonAsync(200);
        Assert.Equal("""{"serviceId":{"3":"1"}}""", reduced.GetProperty("Services").GetRawText());
    }

    [Theory]
    [InlineData("serviceId[99]=5", "serviceId[99]")]
    [InlineData("serviceId[abc]=5", "serviceId[abc]")]
    [InlineData("serviceId[1]=-1", "serviceId[1]")]
    [InlineData("serviceId[1]=many", "serviceId[1]")]
    [InlineData("serviceId[1]=100001", "serviceId[1]")]
    [InlineData("serviceId=5", "serviceId")]
    [InlineData("", "serviceId")]
    public async Task BadLicenceUpdatesAreA400NamingTheField(string body, string named)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var response = await client.SendRawAsync(HttpMethod.Put, $"/api/v1/organisation/{organisation.Id}/licenseupdate", body);

        Assert.StartsWith(named, await response.ErrorAsync(400));
    }

    [Theory]
    [InlineData("serviceId[]=99", "serviceId[0]")]
    [InlineData("serviceId[]=1&serviceId[]=x", "serviceId[1]")]
    [InlineData("serviceId[][nested]=1", "serviceId[0]")]
    [InlineData("", "serviceId[]")]
    public async Task BadActivationsAreA400NamingTheField(string body, string named)
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin);

        var response = await client.SendRawAsync(HttpMethod.Put, $"/api/v1/user/{organisation.AdminId}/activate", body);

        Assert.StartsWith(named, await response.ErrorAsync(400));
    }

    [Fact]
    public async Task OperatorsCanSetLicencesForAnyOrganisation()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(await app.OperatorAsync());

        var response = await client.PutFormAsync($"/api/v1/organisation/{organisation.Id}/licenseupdate", ("serviceId[13]", "10"));

        Assert.Equal("""{"serviceId":{"13":"10"}}""", (await response.JsonAsync(200)).GetProperty("Services").GetRawText());
    }
}
