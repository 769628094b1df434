using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Azure.Data.Tables;
using Gateway.Notifications;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Express;

/// <summary>Keeps every e-mail (attachments included) and then stores it locally as the default sender does.</summary>
public sealed class CapturingEmailSender(LocalNotificationStore local) : IEmailSender
{
    public ConcurrentQueue<EmailMessage> Sent { get; } = new();

    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        Sent.Enqueue(message);
        return local.SendAsync(message, cancellationToken);
    }
}

public sealed class ExpressFileApp : ExpressApp
{
    public CapturingEmailSender Email => (CapturingEmailSender)Service<IEmailSender>();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<IEmailSender>(sp => new CapturingEmailSender(sp.GetRequiredService<LocalNotificationStore>()));
    }
}

/// <summary><c>files[]</c> on express e-mails: multipart bodies, the type and size limits, and the files reaching the sender.</summary>
public sealed class ExpressFileTests(ExpressFileApp app) : IClassFixture<ExpressFileApp>
{
    private static readonly byte[] Pdf = [.. "%PDF-1.7\n"u8, .. new byte[1000]];
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[500]];
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, .. new byte[300]];

    private static MultipartFormDataContent Body(IEnumerable<(string Field, string Value)> fields, params (string Name, string Type, byte[] Content)[] files)
    {
        var body = new MultipartFormDataContent();
        foreach (var (field, value) in fields) body.Add(new StringContent(value), field);
        foreach (var (name, type, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            body.Add(part, "files[]", name);
        }
        return body;
    }

    [Theory]
    [InlineData("inside a field", "name=\"amount\"\r\n\r\n25.")]
    [InlineData("inside a file part", "%PDF-1.7\n")]
    [InlineData("before the closing boundary", "--end--")]
    public async Task ATruncatedMultipartBodyIs400AndCreatesNothing(string where, string cutAt)
    {
        using var merchant = await app.MerchantAsync();
        var whole = "--end\r\nContent-Disposition: form-data; name=\"amount\"\r\n\r\n25.00\r\n" +
            "--end\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njondoe@domain.com\r\n" +
            "--end\r\nContent-Disposition: form-data; name=\"files[]\"; filename=\"a.pdf\"\r\n" +
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n" + new string('x', 2000) + "\r\n--end--\r\n";
        var cut = whole[..(whole.IndexOf(cutAt, StringComparison.Ordinal) + cutAt.Length - 2)];

        var response = await merchant.Client.PostAsync("/api/v1/express/email",
            Raw(cut, "multipart/form-data; boundary=end"));

        var message = await response.ErrorAsync(400);
        Assert.True(message.Contains("multipart", StringComparison.OrdinalIgnoreCase), $"Cut {where}: {message}");
        Assert.Empty(await merchant.Client.NotificationsAsync(merchant.Id));
    }

    private static ByteArrayContent Raw(string body, string contentType)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static (string, string)[] Fields(string reference = "with-files") =>
        [("amount", "25.00"), ("reference", reference), ("email", "jondoe@domain.com")];

    [Fact]
    public async Task FilesTravelWithTheEmailAndAreDeletedOnceItIsSent()
    {
        using var merchant = await app.MerchantAsync();
        var big = new byte[2 * 1024 * 1024];
        Random.Shared.NextBytes(big);
        Pdf.CopyTo(big, 0);
        var created = await (await merchant.Client.PostAsync("/api/v1/express/email",
            Body(Fields(), ("invoice.pdf", "application/pdf", big), ("logo.png", "image/png", Png), ("photo.jpeg", "application/octet-stream", Jpeg)))).JsonAsync(200);
        Assert.Equal(["id", "link"], created.Keys());

        await Eventually.HoldsAsync(() => app.Email.Sent.Any(m => m.About.ExpressId == created.Id()), "the e-mail is sent");
        var sent = app.Email.Sent.Single(m => m.About.ExpressId == created.Id());
        Assert.Equal(["invoice.pdf", "logo.png", "photo.jpeg"], sent.Attachments.Select(a => a.Name));
        Assert.Equal(["application/pdf", "image/png", "image/jpeg"], sent.Attachments.Select(a => a.ContentType));
        Assert.Equal(big, sent.Attachments[0].Content);
        Assert.Equal(Png, sent.Attachments[1].Content);
        Assert.Contains(created.Text("link"), sent.Text);

        var kept = Assert.Single(await merchant.Client.NotificationsAsync(merchant.Id));
        Assert.Equal([("invoice.pdf", "application/pdf", big.Length), ("logo.png", "image/png", Png.Length), ("photo.jpeg", "image/jpeg", Jpeg.Length)],
            kept.GetProperty("attachments").EnumerateArray().Select(a => (a.Text("name"), a.Text("content_type"), a.GetProperty("size").GetInt32())));

        var filter = TableFilters.Partition($"org-{merchant.Id:D10}");
        await Eventually.HoldsAsync(async () => !await app.Service<GatewayTables>().ExpressFiles.QueryAsync<TableEntity>(filter).AnyAsync(),
            "the stored files are deleted");
    }

    [Fact]
    public async Task FilesOutsideTheLimitsAreRefusedAndCreateNothing()
    {
        using var merchant = await app.MerchantAsync();
        var tooBig = new byte[(2 * 1024 * 1024) + 1];
        Pdf.CopyTo(tooBig, 0);
        var text = "just some text"u8.ToArray();
        var cases = new (int Status, string Expected, MultipartFormDataContent Body)[]
        {
            (400, "at most 5 files", Body(Fields(), [.. Enumerable.Range(0, 6).Select(i => ($"f{i}.pdf", "application/pdf", Pdf))])),
            (413, "larger than 2 MB", Body(Fields(), ("big.pdf", "application/pdf", tooBig))),
            (415, "is not a PDF, PNG or JPEG file", Body(Fields(), ("notes.pdf", "application/pdf", text))),
            (415, "is sent as application/pdf but is image/png", Body(Fields(), ("logo.png", "application/pdf", Png))),
            (415, "must end in .png", Body(Fields(), ("logo.pdf", "image/png", Png))),
            (415, "must end in .pdf", Body(Fields(), ("invoice.exe", "application/pdf", Pdf))),
            (400, "needs a file name", Body(Fields(), ("../", "application/pdf", Pdf))),
            (400, "'empty.pdf' is empty", Body(Fields(), ("empty.pdf", "application/pdf", []))),
            (400, "email: is required", Body([("amount", "25.00")], ("invoice.pdf", "application/pdf", Pdf))),
        };
        foreach (var (status, expected, body) in cases)
        {
            var message = await (await merchant.Client.PostAsync("/api/v1/express/email", body)).ErrorAsync(status);
            Assert.Contains(expected, message);
        }
        var other = new MultipartFormDataContent { { new ByteArrayContent(Pdf), "document", "a.pdf" } };
        Assert.Contains("only be sent as files[]", await (await merchant.Client.PostAsync("/api/v1/express/email", other)).ErrorAsync(400));
        var textFiles = new MultipartFormDataContent { { new StringContent("25.00"), "amount" }, { new StringContent("x"), "files" } };
        Assert.Contains("must be sent as files", await (await merchant.Client.PostAsync("/api/v1/express/email", textFiles)).ErrorAsync(400));
        await (await merchant.Client.PostAsync("/api/v1/express/email", Raw("--x\r\nbroken", "multipart/form-data; boundary=x"))).ErrorAsync(400);
        await (await merchant.Client.PostAsync("/api/v1/express/email", Raw("a=b", "multipart/form-data"))).ErrorAsync(400);

        // Files only ever come as files: not as form text, and not on the SMS endpoint.
        Assert.StartsWith("files[]:", await (await merchant.Client.PostFormAsync("/api/v1/express/email", [.. Fields(), ("files[]", "x")])).ErrorAsync(400));
        await (await merchant.Client.PostAsync("/api/v1/express/sms", Body([("amount", "1.00"), ("number", "27821112222")], ("a.pdf", "application/pdf", Pdf)))).ErrorAsync(415);

        Assert.Empty(await merchant.Client.NotificationsAsync(merchant.Id));
        Assert.DoesNotContain(app.Email.Sent, m => m.OrganisationId == merchant.Id);
    }

    [Fact]
    public async Task AnIdempotencyKeyCoversTheFiles()
    {
        using var merchant = await app.MerchantAsync();
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Request(byte[] file) => new HttpRequestMessage(HttpMethod.Post, "/api/v1/express/email") { Content = Body(Fields(), ("a.pdf", "application/pdf", file)) }.WithKey(key);

        var first = await (await merchant.Client.SendAsync(Request(Pdf))).JsonAsync(200);
        Assert.Equal(first.GetRawText(), (await (await merchant.Client.SendAsync(Request(Pdf))).JsonAsync(200)).GetRawText());
        byte[] changed = [.. Pdf[..^1], 1];
        await (await merchant.Client.SendAsync(Request(changed))).ErrorAsync(422);
    }
}
