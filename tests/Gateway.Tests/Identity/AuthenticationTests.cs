using System.Net;
using System.Net.Http.Headers;
using Azure.Data.Tables;
using Gateway.Identity;
using Gateway.Platform;
using Gateway.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Identity;

/// <summary>An app on a clock the tests move, so token expiry is tested without waiting.</summary>
public sealed class ClockedGatewayApp : GatewayApp
{
    public ClockedGatewayApp() => Clock = new ManualClock(DateTimeOffset.UtcNow);
}

public sealed class AuthenticationTests(ClockedGatewayApp app, ITestOutputHelper output)
    : IClassFixture<ClockedGatewayApp>
{
    [Fact]
    public async Task TokenFromBasicAuthWorksAsBearerUntilItExpires()
    {
        var organisation = await app.CreateOrganisationAsync();
        var token = await IssueTokenAsync(organisation.Admin);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        await (await client.GetAsync($"/api/v1/user/{organisation.AdminId}")).JsonAsync(200);

        app.Clock!.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Contains("expired", await (await client.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(401));
    }

    [Fact]
    public async Task TokenExpiryIsShownInTheOrganisationsTimeZone()
    {
        var organisation = await app.CreateOrganisationAsync(timezone: "Europe/London");
        using var client = app.ClientFor(organisation.Admin);

        var body = await (await client.PostAsync("/api/v1/token", null)).JsonAsync(200);

        var expected = ApiTime.Show(app.Clock!.GetUtcNow() + TimeSpan.FromHours(1), "Europe/London");
        Assert.Equal(expected, body.GetProperty("expires").GetString());
    }

    [Fact]
    public async Task ChangingThePasswordRevokesEarlierTokens()
    {
        var organisation = await app.CreateOrganisationAsync();
        var (agent, agentId) = await app.CreateUserAsync(organisation);
        var token = await IssueTokenAsync(agent);
        using var admin = app.ClientFor(organisation.Admin);

        await (await admin.PutFormAsync($"/api/v1/user/{agentId}", ("User[password]", "a-new-password"))).JsonAsync(200);

        using var bearer = app.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await (await bearer.GetAsync($"/api/v1/user/{agentId}")).ErrorAsync(401);
        using var newPassword = app.ClientFor(agent with { Password = "a-new-password" });
        await (await newPassword.GetAsync($"/api/v1/user/{agentId}")).JsonAsync(200);
        using var oldPassword = app.ClientFor(agent);
        await (await oldPassword.GetAsync($"/api/v1/user/{agentId}")).ErrorAsync(401);
    }

    [Fact]
    public async Task ATokenCannotMintAnotherToken()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await IssueTokenAsync(organisation.Admin));

        await (await client.PostAsync("/api/v1/token", null)).ErrorAsync(403);
    }

    [Theory]
    [InlineData("Basic", "bm90LWEtdXNlcjpwYXNzd29yZA==")]          // not-a-user:password
    [InlineData("Basic", "!!!not base64!!!")]
    [InlineData("Basic", "bm8tY29sb24=")]                          // no-colon
    [InlineData("Basic", "/w==")]                                  // invalid UTF-8
    [InlineData("Bearer", "0123456789abcdef0123456789abcdef")]
    [InlineData("Bearer", "x' or PartitionKey ne '")]
    [InlineData("Digest", "username=x")]
    public async Task BadCredentialsAreA401WithAChallenge(string scheme, string parameter)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {parameter}");

        var response = await client.GetAsync("/api/v1/user/1");

        await response.ErrorAsync(401);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("x' or PartitionKey ne '")]
    [InlineData("O'Brien")]
    [InlineData("über-user")]
    [InlineData("a/b#c?d")]
    public async Task UsernamesThatCouldReachAQueryAreJustUnknown(string username)
    {
        using var client = app.ClientFor(new Credentials(username, "whatever-password"));
        await (await client.GetAsync("/api/v1/user/1")).ErrorAsync(401);
    }

    [Fact]
    public async Task WrongPasswordIsA401AndNoCredentialsIsA401()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var wrong = app.ClientFor(organisation.Admin with { Password = "not-the-password" });
        await (await wrong.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(401);
        using var anonymous = app.CreateClient();
        await (await anonymous.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(401);
    }

    [Fact]
    public async Task PasswordsAreStoredOnlyAsSaltedPbkdf2AndTokensOnlyAsHashes()
    {
        var organisation = await app.CreateOrganisationAsync();
        var token = await IssueTokenAsync(organisation.Admin);
        var tables = app.Service<GatewayTables>();

        var admin = await tables.Identity.FindAsync($"org-{organisation.Id:D10}", $"user-{organisation.AdminId:D10}");
        var hash = admin!.GetString("PasswordHash")!;
        Assert.Matches(@"^pbkdf2-sha256\$600000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$", hash);
        Assert.DoesNotContain(organisation.Admin.Password, hash);

        await foreach (var row in tables.Tokens.QueryAsync<TableEntity>())
        {
            Assert.DoesNotContain(token, string.Join(' ', row.Select(p => p.Value)));
        }
        Assert.NotNull(await tables.Tokens.FindAsync(Secrets.Fingerprint(token), "token"));
    }

    [Fact]
    public async Task TheTokenSweepDeletesOnlyExpiredTokens()
    {
        var organisation = await app.CreateOrganisationAsync();
        var expiring = await IssueTokenAsync(organisation.Admin);
        app.Clock!.Advance(TimeSpan.FromMinutes(59));
        var fresh = await IssueTokenAsync(organisation.Admin);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var tables = app.Service<GatewayTables>();

        using (var scope = app.Services.CreateScope())
        {
            await ActivatorUtilities.CreateInstance<TokenSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
        }

        Assert.Null(await tables.Tokens.FindAsync(Secrets.Fingerprint(expiring), "token"));
        Assert.NotNull(await tables.Tokens.FindAsync(Secrets.Fingerprint(fresh), "token"));
    }

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheUsernameForAWhile()
    {
        var organisation = await app.CreateOrganisationAsync();
        var otherUser = await app.CreateUserAsync(organisation);
        using var wrong = app.ClientFor(organisation.Admin with { Password = "not-the-password" });
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            await (await wrong.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(401);
        }

        using var right = app.ClientFor(organisation.Admin);
        var locked = await right.GetAsync($"/api/v1/user/{organisation.AdminId}");
        Assert.Contains("Too many failed sign-ins", await locked.ErrorAsync(429));
        Assert.InRange(int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 300);
        using var other = app.ClientFor(otherUser.Credentials);
        await (await other.GetAsync($"/api/v1/user/{otherUser.Id}")).JsonAsync(200);

        app.Clock!.Advance(LoginThrottle.Window);
        await (await right.GetAsync($"/api/v1/user/{organisation.AdminId}")).JsonAsync(200);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(100)]
    public async Task ParallelGuessesGetNoMorePasswordChecksThanTheLimit(int sent)
    {
        var organisation = await app.CreateOrganisationAsync();
        var hasher = app.Service<PasswordHasher>();
        var before = hasher.Derivations;
        using var wrong = app.ClientFor(organisation.Admin with { Password = "not-the-password" });
        using var right = app.ClientFor(organisation.Admin);
        // All sent at once, the right password among them.
        var responses = await Task.WhenAll(Enumerable.Range(0, sent)
            .Select(i => (i == sent / 2 ? right : wrong).PostAsync("/api/v1/token", null)));

        var checkedPasswords = hasher.Derivations - before;
        var statuses = responses.GroupBy(r => (int)r.StatusCode).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{checkedPasswords} passwords checked of {sent} sent: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}x{s.Key}")));
        Assert.InRange(checkedPasswords, 1, LoginThrottle.MaxFailures + 1);
        Assert.InRange(statuses.GetValueOrDefault(401), 1, LoginThrottle.MaxFailures);
        Assert.Equal(sent, statuses.GetValueOrDefault(401) + statuses.GetValueOrDefault(429)
            + statuses.GetValueOrDefault(200));
        Assert.InRange(statuses.GetValueOrDefault(429), sent - LoginThrottle.MaxFailures - 1, sent);
    }

    [Fact]
    public async Task AUsersOwnParallelRequestsWaitForTheirTurnInsteadOfBeingRefused()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var right = app.ClientFor(organisation.Admin);

        var responses = await Task.WhenAll(Enumerable.Range(0, 3 * LoginThrottle.MaxFailures)
            .Select(_ => right.GetAsync($"/api/v1/user/{organisation.AdminId}")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task TheTokenWorksAsARequestParameterInTheQueryAFormOrJson()
    {
        var organisation = await app.CreateOrganisationAsync();
        var token = await IssueTokenAsync(organisation.Admin);
        using var client = app.CreateClient();

        await (await client.GetAsync($"/api/v1/user/{organisation.AdminId}?token={token}")).JsonAsync(200);
        var form = new FormUrlEncodedContent([new("token", token), new("amount", "10.00"), new("merchant_reference", "t1")]);
        var key = await (await client.PostAsync("/api/v1/payment-key", form)).JsonAsync(200);
        Assert.False(string.IsNullOrEmpty(key.GetProperty("key").GetString()));
        var json = new StringContent($$"""{"token": "{{token}}", "amount": "5.00", "merchant_reference": "t2"}""",
            System.Text.Encoding.UTF8, "application/json");
        await (await client.PostAsync("/api/v1/payment-key", json)).JsonAsync(200);

        var wrong = new FormUrlEncodedContent([new("token", "not-a-token"), new("amount", "1.00")]);
        await (await client.PostAsync("/api/v1/payment-key", wrong)).ErrorAsync(401);
        await (await client.GetAsync($"/api/v1/user/{organisation.AdminId}")).ErrorAsync(401);
        Assert.DoesNotContain(app.Logs.Lines, l => l.AllText.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnIdempotentRetryMayCarryAFreshToken()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("Idempotency-Key", Guid.NewGuid().ToString());
        HttpContent Body(string token) => new FormUrlEncodedContent(
            [new("token", token), new("amount", "10.00"), new("merchant_reference", "retry")]);

        var first = await (await client.PostAsync("/api/v1/payment-key", Body(await IssueTokenAsync(organisation.Admin))))
            .JsonAsync(200);
        var retry = await client.PostAsync("/api/v1/payment-key", Body(await IssueTokenAsync(organisation.Admin)));

        Assert.Equal(first.GetProperty("key").GetString(), (await retry.JsonAsync(200)).GetProperty("key").GetString());
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task AnonymousEndpointsNeverCheckAPassword()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var client = app.ClientFor(organisation.Admin with { Password = "a-wrong-password" });
        var hasher = app.Service<PasswordHasher>();
        var before = hasher.Derivations;

        await (await client.GetAsync("/api/health")).JsonAsync(200);
        await (await client.GetAsync("/api/v1/no-such-route")).ErrorAsync(404);

        Assert.Equal(before, hasher.Derivations);
    }

    [Fact]
    public async Task AFreshUsernameClaimIsNeverTakenOverButAnAbandonedOneIs()
    {
        var organisation = await app.CreateOrganisationAsync();
        using var admin = app.ClientFor(organisation.Admin);
        var username = Unique.Name("claimed");
        // A claim as a request that is still writing its user leaves it: the login row, no user yet.
        var claim = new Login(username, organisation.Id, 999_999_999, app.Clock!.GetUtcNow());
        await app.Service<GatewayTables>().Logins.AddEntityAsync(claim.ToEntity());

        Assert.Contains("already taken", await (await admin.PostFormAsync("/api/v1/user",
            ("User[username]", username), ("User[role]", "agent"))).ErrorAsync(409));

        app.Clock.Advance(TimeSpan.FromMinutes(11));
        await (await admin.PostFormAsync("/api/v1/user", ("User[username]", username), ("User[role]", "agent"))).JsonAsync(201);
    }

    private async Task<string> IssueTokenAsync(Credentials credentials)
    {
        using var client = app.ClientFor(credentials);
        var body = await (await client.PostAsync("/api/v1/token", null)).JsonAsync(200);
        return body.GetProperty("token").GetString()!;
    }
}
