using System.Net;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Express;

/// <summary>Express pay-by-link over HTTP: the document's examples, a link's life, and who may touch it.</summary>
public sealed class ExpressTests(ExpressApp app) : IClassFixture<ExpressApp>
{
    private const string Origin = "http://localhost:7071";

    [Fact]
    public async Task TheDocumentsCurlExamplesAnswerAsDocumented()
    {
        using var merchant = await app.MerchantAsync();
        var reference = Unique.Name("test");

        var sms = await (await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/express/sms", $"amount=25.00&reference={reference}&number=27821112222")).JsonAsync(200);
        Assert.Equal(["id", "recipient"], sms.Keys());
        Assert.Matches($"^{Origin}/u/[A-Za-z0-9_-]{{12}}$", sms.Text("recipient"));

        var email = await (await merchant.Client.SendRawAsync(HttpMethod.Post, "/api/v1/express/email", $"amount=25.00&reference={reference}&email=jondoe@domain.com")).JsonAsync(200);
        Assert.Equal(["id", "link"], email.Keys());
        Assert.Matches($"^{Origin}/u/[A-Za-z0-9_-]{{12}}$", email.Text("link"));
        Assert.True(email.Id() > sms.Id());

        var byId = await (await merchant.Client.SendRawAsync(HttpMethod.Delete, "/api/v1/express", $"id={sms.Id()}")).JsonAsync(200);
        Assert.Equal(["id", "status"], byId.Keys());
        Assert.Equal(sms.Id(), byId.Id());
        Assert.Equal("deleted", byId.Text("status"));

        // By reference: the newest link with it, the e-mail one.
        var byReference = await (await merchant.Client.SendRawAsync(HttpMethod.Delete, "/api/v1/express", $"reference={reference}")).JsonAsync(200);
        Assert.Equal(email.Id(), byReference.Id());
        Assert.Equal("deleted", byReference.Text("status"));
    }

    [Fact]
    public async Task ALinkOpensThePaymentPageAndPayingThroughItIsAnOrdinaryTransactionWithEvents()
    {
        using var merchant = await app.MerchantAsync();
        var created = await merchant.Client.SmsAsync(amount: "25.50", reference: "invoice-7");
        using var payer = app.Payer();

        var opened = await payer.GetAsync(ExpressKit.LinkPath(created.Text("recipient")));
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
        Assert.Equal("no-store", opened.Headers.CacheControl?.ToString());
        var key = await payer.KeyOfLinkAsync(created.Text("recipient"));
        Assert.StartsWith("/eft?payment_key=", opened.Headers.Location!.PathAndQuery);

        var page = await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(200);
        Assert.Contains("R25.50", page);
        Assert.Contains("invoice-7", page);
        var paid = await payer.SubmitAsync(page, ("holder", "Ann Payer"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue"));
        Assert.Equal("complete", paid.RedirectsTo(Origin + "/receipt")["status"]);

        var transaction = await merchant.Client.TransactionForKeyAsync(key);
        Assert.Equal("complete", transaction.Text("status"));
        Assert.Equal("25.50", transaction.Text("amount"));
        Assert.Equal("invoice-7", transaction.Text("merchant_reference"));
        Assert.Equal(["complete"], (await app.EventsAsync(merchant.Id, transaction.Id())).Select(e => e.GetString("Status")));

        // Paid: the link says so, and it can no longer be cancelled.
        Assert.Contains("already been made", await (await payer.GetAsync(ExpressKit.LinkPath(created.Text("recipient")))).HtmlAsync(409));
        Assert.Contains("has been paid", await (await merchant.Client.CancelAsync(("id", created.Id().ToString()))).ErrorAsync(409));
    }

    [Fact]
    public async Task ACancelledLinkAndItsPaymentKeyRefuseToBePaid()
    {
        using var merchant = await app.MerchantAsync();
        var reference = Unique.Name("order");
        var first = await merchant.Client.SmsAsync(reference: reference);
        var second = await merchant.Client.EmailAsync(reference: reference);
        using var payer = app.Payer();
        var firstKey = await payer.KeyOfLinkAsync(first.Text("recipient"));
        var secondKey = await payer.KeyOfLinkAsync(second.Text("link"));
        var page = await (await payer.GetAsync($"/card?payment_key={firstKey}")).HtmlAsync(200);

        await (await merchant.Client.CancelAsync(("id", first.Id().ToString()))).JsonAsync(200);
        await (await merchant.Client.CancelAsync(("reference", reference))).JsonAsync(200);

        foreach (var (link, key) in new[] { (first.Text("recipient"), firstKey), (second.Text("link"), secondKey) })
        {
            var shown = await payer.GetAsync(ExpressKit.LinkPath(link));
            Assert.Contains("cancelled", await shown.HtmlAsync(410));
            Assert.Contains("default-src 'none'", shown.Csp());
            Assert.Contains("cancelled", await (await payer.GetAsync($"/eft?payment_key={key}")).HtmlAsync(410));
            Assert.Contains("cancelled", await (await payer.GetAsync($"/card?payment_key={key}")).HtmlAsync(410));
        }
        // A form opened before the cancel pays nothing after it.
        var late = await payer.SubmitAsync(page, ("holder", "Ann Payer"), ("pan", PaymentKit.Approved), ("expiry", PaymentKit.Expiry), ("cvv", "123"), ("action", "continue"));
        await late.HtmlAsync(410);
        Assert.Equal(HttpStatusCode.NotFound, await merchant.Client.TransactionStatusCodeForKeyAsync(firstKey));

        // Cancelling again answers the same.
        var again = await (await merchant.Client.CancelAsync(("id", first.Id().ToString()))).JsonAsync(200);
        Assert.Equal("deleted", again.Text("status"));
    }

    [Fact]
    public async Task UnknownLinksAre404Pages()
    {
        using var payer = app.Payer();
        foreach (var path in new[] { "/u/AAAAAAAAAAAA", "/u/short", "/u/%3Cscript%3E12345", "/u/" + new string('a', 200) })
        {
            var html = await (await payer.GetAsync(path)).HtmlAsync(404);
            Assert.DoesNotContain("<script", html);
        }
    }

    [Fact]
    public async Task AnIdempotencyKeyMakesOneLinkAndOneNotification()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Request() => PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/express/sms", ("amount", "9.99"), ("number", "+27821112222")).WithKey(key);

        var first = await (await merchant.Client.SendAsync(Request())).JsonAsync(200);
        var replay = await merchant.Client.SendAsync(Request());
        Assert.Equal(first.GetRawText(), (await replay.JsonAsync(200)).GetRawText());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        await Eventually.HoldsAsync(async () => (await merchant.Client.NotificationsAsync(merchant.Id)).Length == 1, "the notification is kept");
        var kept = (await merchant.Client.NotificationsAsync(merchant.Id)).Single();
        Assert.Equal(first.Id(), kept.GetProperty("express_id").GetInt64());
        Assert.Equal("+27821112222", kept.Text("to"));
        Assert.Contains("R9.99", kept.Text("text"));
        Assert.Contains($"express-{first.Id()}", kept.Text("text"));
    }

    [Fact]
    public async Task NotificationsReachTheLocalStoreThroughTheQueueAndLogsNeverShowTheLink()
    {
        using var merchant = await app.MerchantAsync();
        var sms = await merchant.Client.SmsAsync(amount: "12.00", reference: "sms-ref");
        var email = await merchant.Client.EmailAsync(amount: "13.00", reference: "mail-ref");

        await Eventually.HoldsAsync(async () => (await merchant.Client.NotificationsAsync(merchant.Id)).Length == 2, "both notifications are kept");
        var kept = await merchant.Client.NotificationsAsync(merchant.Id);
        var text = kept.Single(n => n.Text("channel") == "sms");
        Assert.Equal("27821112222", text.Text("to"));
        Assert.Contains(sms.Text("recipient"), text.Text("text"));
        Assert.Contains("R12.00", text.Text("text"));
        var mail = kept.Single(n => n.Text("channel") == "email");
        Assert.Equal("jondoe@domain.com", mail.Text("to"));
        Assert.StartsWith("Payment request from Org ", mail.Text("subject"));
        Assert.Contains(email.Text("link"), mail.Text("text"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", mail.Text("sent"));

        using var payer = app.Payer();
        foreach (var link in new[] { sms.Text("recipient"), email.Text("link") })
        {
            await payer.KeyOfLinkAsync(link);
            var code = link[^12..];
            Assert.DoesNotContain(app.Logs.Lines, l => l.AllText.Contains(code, StringComparison.Ordinal));
        }
        Assert.Contains(app.Logs.Lines, l => l.Message.Contains($"express transaction {sms.Id()}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/U/")]
    [InlineData("/u/")]
    public async Task ALinksCodeIsNeverLoggedWhateverTheCaseOfItsPath(string prefix)
    {
        using var merchant = await app.MerchantAsync();
        var sms = await merchant.Client.SmsAsync(amount: "12.00", reference: Unique.Name("case"));
        var code = sms.Text("recipient")[^12..];
        using var payer = app.Payer();
        int Logged() => app.Logs.Lines.Count(l => l.Category == "Gateway.Requests" && l.Message.Contains(" 303 "));
        var before = Logged();

        var opened = await payer.GetAsync(prefix + code);

        Assert.Equal(System.Net.HttpStatusCode.SeeOther, opened.StatusCode);
        await Eventually.HoldsAsync(() => Task.FromResult(Logged() > before), "the request is logged");
        Assert.DoesNotContain(app.Logs.Lines, l => l.AllText.Contains(code, StringComparison.Ordinal));
    }
}
