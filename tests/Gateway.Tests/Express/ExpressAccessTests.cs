using System.Net;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Express;

/// <summary>Who may act on an express transaction, what input is refused, and races between cancels and payments.</summary>
public sealed class ExpressAccessTests(ExpressApp app) : IClassFixture<ExpressApp>
{
    [Fact]
    public async Task AnotherOrganisationsExpressTransactionsAndNotificationsAre404()
    {
        using var owner = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var reference = Unique.Name("mine");
        var created = await owner.Client.SmsAsync(reference: reference);

        Assert.Equal("Express transaction not found.", await (await other.Client.CancelAsync(("id", created.Id().ToString()))).ErrorAsync(404));
        await (await other.Client.CancelAsync(("reference", reference))).ErrorAsync(404);
        await (await other.Client.CancelAsync(("id", created.Id().ToString()), ("organisation_id", owner.Id.ToString()))).ErrorAsync(404);
        await (await other.Client.PostFormAsync("/api/v1/express/sms", ("amount", "1.00"), ("number", "27821112222"), ("organisation_id", owner.Id.ToString()))).ErrorAsync(404);
        await (await other.Client.PostFormAsync("/api/v1/express/email", ("amount", "1.00"), ("email", "a@b.co"), ("organisation_id", owner.Id.ToString()))).ErrorAsync(404);
        await (await other.Client.GetAsync($"/api/v1/organisation/{owner.Id}/notifications")).ErrorAsync(404);

        // Naming its own organisation is accepted; the link still works for its owner.
        await other.Client.SmsAsync(extra: ("organisation_id", other.Id.ToString()));
        using var payer = app.Payer();
        await payer.KeyOfLinkAsync(created.Text("recipient"));
        await (await owner.Client.CancelAsync(("id", created.Id().ToString()), ("organisation_id", owner.Id.ToString()))).JsonAsync(200);
    }

    [Fact]
    public async Task OperatorsActAsPartnersForTheOrganisationTheyName()
    {
        using var merchant = await app.MerchantAsync();
        using var partner = app.ClientFor(await app.OperatorAsync());
        var created = await (await partner.PostFormAsync("/api/v1/express/sms",
            ("amount", "3.00"), ("number", "27821112222"), ("reference", "partner-1"), ("organisation_id", merchant.Id.ToString()))).JsonAsync(200);
        // The link is the organisation's: its administrator sees and cancels it; the partner can cancel it too.
        await (await merchant.Client.CancelAsync(("reference", "partner-1"))).JsonAsync(200);
        await (await partner.CancelAsync(("id", created.Id().ToString()), ("organisation_id", merchant.Id.ToString()))).JsonAsync(200);

        Assert.Contains("organisation_id", await (await partner.PostFormAsync("/api/v1/express/sms", ("amount", "3.00"), ("number", "27821112222"))).ErrorAsync(400));
        await (await partner.PostFormAsync("/api/v1/express/sms", ("amount", "3.00"), ("number", "27821112222"), ("organisation_id", "999999999"))).ErrorAsync(404);
        await (await partner.PostFormAsync("/api/v1/express/sms", ("amount", "3.00"), ("number", "27821112222"), ("organisation_id", "x'"))).ErrorAsync(404);
        // Operators take no payments of their own.
        await (await partner.PostFormAsync("/api/v1/pay/direct", PaymentKit.Card())).ErrorAsync(403);
    }

    [Fact]
    public async Task AgentsAndApiKeysMayCreateLinksButOnlyAdministratorsReadNotifications()
    {
        using var merchant = await app.MerchantAsync();
        var (agent, agentId) = await app.CreateUserAsync(merchant.Organisation);
        using var agentClient = app.ClientFor(agent);
        var refused = await agentClient.PostFormAsync("/api/v1/express/sms", ("amount", "1.00"), ("number", "27821112222"));
        Assert.Contains("Notify Express", await refused.ErrorAsync(403));
        await app.ActivateAsync(merchant.Organisation, agentId, Gateway.Identity.Services.NotifyExpress);
        await agentClient.SmsAsync();
        await (await agentClient.GetAsync($"/api/v1/organisation/{merchant.Id}/notifications")).ErrorAsync(403);
        using var anonymous = app.CreateClient();
        await (await anonymous.PostFormAsync("/api/v1/express/sms", ("amount", "1.00"), ("number", "27821112222"))).ErrorAsync(401);
        await (await anonymous.CancelAsync(("id", "1"))).ErrorAsync(401);
    }

    [Theory]
    [InlineData("sms", "number=27821112222", "amount:")]
    [InlineData("sms", "amount=abc&number=27821112222", "amount:")]
    [InlineData("sms", "amount=0.00&number=27821112222", "amount:")]
    [InlineData("sms", "amount=5.00", "number: is required.")]
    [InlineData("sms", "amount=5.00&number=12345", "number:")]
    [InlineData("sms", "amount=5.00&number=2782abc2222", "number:")]
    [InlineData("sms", "amount=5.00&number[]=27821112222", "number:")]
    [InlineData("email", "amount=5.00", "email: is required.")]
    [InlineData("email", "amount=5.00&email=not-an-address", "email:")]
    [InlineData("email", "amount=5.00&email=Jon%20%3Cjon%40x.co%3E", "email:")]
    [InlineData("email", "amount=5.00&email=a%40b.co%2Cc%40d.co", "email:")]
    [InlineData("email", "amount=5.00&email=a%40b.co&reference=%01", "reference:")]
    public async Task BadCreateRequestsAre400sNamingTheField(string channel, string body, string expected)
    {
        using var merchant = await app.MerchantAsync();
        var message = await (await merchant.Client.SendRawAsync(HttpMethod.Post, $"/api/v1/express/{channel}", body)).ErrorAsync(400);
        Assert.StartsWith(expected, message);
    }

    [Theory]
    [InlineData("", 400)]
    [InlineData("id=1&reference=x", 400)]
    [InlineData("id=abc", 404)]
    [InlineData("id=-1", 404)]
    [InlineData("id=999999999999", 404)]
    [InlineData("reference=never-used-anywhere", 404)]
    public async Task BadCancelRequestsAreRefused(string body, int status)
    {
        using var merchant = await app.MerchantAsync();
        await (await merchant.Client.SendRawAsync(HttpMethod.Delete, "/api/v1/express", body)).ErrorAsync(status);
    }

    [Fact]
    public async Task TwoConcurrentCancelsBothAnswerDeletedAndTheKeyStaysCancelled()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.SmsAsync();
        using var payer = app.Payer();
        var key = await payer.KeyOfLinkAsync(created.Text("recipient"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => merchant.Client.CancelAsync(("id", created.Id().ToString()))));
        foreach (var answer in answers)
        {
            var body = await answer.JsonAsync(200);
            Assert.Equal(created.Id(), body.Id());
            Assert.Equal("deleted", body.Text("status"));
        }
        await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(410);
    }

    [Fact]
    public async Task ACancelRacingAPaymentEitherWinsOrLosesButALinkIsNeverBothCancelledAndPaid()
    {
        using var merchant = await app.MerchantAsync();
        using var payer = app.Payer();
        for (var round = 0; round < 6; round++)
        {
            var created = await merchant.Client.SmsAsync(reference: $"race-{round}");
            var key = await payer.KeyOfLinkAsync(created.Text("recipient"));
            var page = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);

            var pay = payer.SubmitAsync(page, ("holder", "Ann Payer"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue"));
            var cancel = merchant.Client.CancelAsync(("id", created.Id().ToString()));
            var (paid, cancelled) = (await pay, await cancel);

            var wasCancelled = cancelled.StatusCode == HttpStatusCode.OK;
            var wasPaid = paid.StatusCode == HttpStatusCode.SeeOther;
            Assert.True(wasCancelled || cancelled.StatusCode == HttpStatusCode.Conflict, $"cancel answered {cancelled.StatusCode}");
            Assert.True(wasCancelled != wasPaid, $"round {round}: cancelled {wasCancelled}, paid {wasPaid}");

            // What is stored agrees with the answers.
            var transaction = await merchant.Client.GetAsync($"/api/v1/gateway-transaction/?key={key}");
            if (wasPaid) Assert.Equal("complete", (await transaction.JsonAsync(200)).Text("status"));
            else Assert.Equal(HttpStatusCode.NotFound, transaction.StatusCode);
            await (await payer.GetAsync(ExpressKit.LinkPath(created.Text("recipient")))).HtmlAsync(wasPaid ? 409 : 410);
        }
    }
}
