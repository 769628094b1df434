using System.Text.Json;
using Gateway.Tests.Express;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Notifications;

/// <summary>
/// <c>POST /api/v1/notification/send</c> (the documents' Receipts): through the notifications queue to the local
/// senders, whose kept messages the organisation's notifications list shows.
/// </summary>
public sealed class ReceiptTests(ExpressApp app) : IClassFixture<ExpressApp>
{
    private const string Url = "/api/v1/notification/send";

    private static Task<HttpResponseMessage> SendAsync(Merchant merchant, string recipient, string type, string transactionId) =>
        merchant.Client.PostFormAsync(Url, ("recipient", recipient), ("type", type), ("transactionID", transactionId));

    private async Task<JsonElement[]> ReceiptsAsync(Merchant merchant, int count)
    {
        JsonElement[] kept = [];
        await Eventually.HoldsAsync(async () =>
        {
            var all = await merchant.Client.NotificationsAsync(merchant.Id);
            kept = [.. all.Where(n => n.GetProperty("transaction_id").ValueKind != JsonValueKind.Null)];
            return kept.Length >= count;
        }, $"{count} receipt(s) are kept");
        return kept;
    }

    [Fact]
    public async Task AnSmsReceiptAnswersAsDocumentedAndGoesOutWithTheDefaultTemplate()
    {
        using var merchant = await app.MerchantAsync();
        var paid = (await merchant.Client.PayAsync(amount: "123.45", reference: "order-77")).Transaction();

        var answer = await (await SendAsync(merchant, "0720000000", "Sms", $"{paid.Id()}")).JsonAsync(200);
        Assert.Equal("""{"result":true}""", answer.GetRawText());

        var receipt = Assert.Single(await ReceiptsAsync(merchant, 1));
        Assert.Equal("sms", receipt.Text("channel"));
        Assert.Equal("0720000000", receipt.Text("to"));
        Assert.Equal(paid.Id(), receipt.GetProperty("transaction_id").GetInt64());
        Assert.Equal(JsonValueKind.Null, receipt.GetProperty("express_id").ValueKind);
        var name = (await (await merchant.Client.GetAsync($"/api/v1/organisation/{merchant.Id}")).JsonAsync(200)).Text("name");
        Assert.Equal($"{name}: payment of R123.45 received, ref order-77, transaction {paid.Id()}, {paid.Text("created")}. Thank you.",
            receipt.Text("text"));
    }

    [Fact]
    public async Task TheOrganisationsTemplatesShapeAnEmailReceiptOfAPartlyRefundedPayment()
    {
        using var merchant = await app.MerchantAsync();
        var settings = $"/api/v1/organisation/{merchant.Id}";
        var set = await (await merchant.Client.PutFormAsync(settings,
            ("Organisation[receipt_email_subject]", "Receipt {transactionId} from {merchantName}"),
            ("Organisation[receipt_email_template]",
                "Paid {amount} by {paymentMethod};\r\nrefunded {refundedAmount}.\nStatus: {status}.")))
            .JsonAsync(200);
        Assert.Equal("Receipt {transactionId} from {merchantName}", set.Text("receipt_email_subject"));
        Assert.Equal(ReceiptDefaults.Sms, set.Text("receipt_sms_template")); // untouched: still the default

        var paid = (await merchant.Client.PayAsync(pan: "5555555555554444", amount: "40.00")).Transaction();
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{paid.Id()}", ("amount", "2.50"))).JsonAsync(200);
        var answer = await merchant.Client.SendJsonAsync(HttpMethod.Post, Url,
            new { recipient = "payer@example.com", type = "email", transactionID = paid.Id() });
        Assert.True((await answer.JsonAsync(200)).GetProperty("result").GetBoolean());

        var receipt = Assert.Single(await ReceiptsAsync(merchant, 1));
        Assert.Equal("email", receipt.Text("channel"));
        Assert.Equal("payer@example.com", receipt.Text("to"));
        Assert.Equal($"Receipt {paid.Id()} from {set.Text("name")}", receipt.Text("subject"));
        Assert.Equal("Paid R40.00 by Mastercard card ending 4444;\nrefunded R2.50.\nStatus: partially-refunded.", receipt.Text("text"));

        // An unknown placeholder is refused when set, naming the field; an empty template is the default again.
        var error = await (await merchant.Client.PutFormAsync(settings,
            ("Organisation[receipt_sms_template]", "Paid {amont}"))).ErrorAsync(400);
        Assert.Contains("Organisation[receipt_sms_template]", error);
        Assert.Contains("{amont}", error);
        // Only the e-mail body spans lines.
        Assert.Contains("control characters", await (await merchant.Client.PutFormAsync(settings,
            ("Organisation[receipt_sms_template]", "Paid\n{amount}"))).ErrorAsync(400));
        var reset = await (await merchant.Client.PutFormAsync(settings, ("Organisation[receipt_email_subject]", ""))).JsonAsync(200);
        Assert.Equal("Your receipt from {merchantName}", reset.Text("receipt_email_subject"));
    }

    [Fact]
    public async Task OnlyTheOrganisationsOwnSuccessfulTransactionsAreReceiptedAndBadRequestsSendNothing()
    {
        using var merchant = await app.MerchantAsync();
        using var other = await app.MerchantAsync();
        var failed = (await merchant.Client.PayAsync(pan: "4000000000000002")).Transaction();
        var pending = await merchant.Client.PayAsync(pan: PaymentKit.Challenge, extra: ("return_url", "https://shop.test/back"));
        var theirs = (await other.Client.PayAsync()).Transaction();
        var mine = (await merchant.Client.PayAsync()).Transaction();

        Assert.Contains("failed", await (await SendAsync(merchant, "0720000000", "Sms", $"{failed.Id()}")).ErrorAsync(409));
        Assert.Contains("pending",
            await (await SendAsync(merchant, "0720000000", "Sms", pending.Text("gateway_transaction_id"))).ErrorAsync(409));
        // Another organisation's transaction is not found, exactly as one that does not exist.
        Assert.Equal(await (await SendAsync(merchant, "0720000000", "Sms", "999999999999")).ErrorAsync(404),
            await (await SendAsync(merchant, "0720000000", "Sms", $"{theirs.Id()}")).ErrorAsync(404));
        await (await SendAsync(merchant, "0720000000", "Sms", "1' or ''='")).ErrorAsync(404);

        foreach (var (recipient, type, field) in new[]
        {
            ("0720000000", "Fax", "type"), ("0720000000", "", "type"), ("not-a-number", "Sms", "recipient"),
            ("0720000000", "Email", "recipient"), ("a@b.test, c@d.test", "Email", "recipient"), ("", "Sms", "recipient"),
            ("\u202e0720000000", "Sms", "recipient"),
        })
        {
            Assert.Contains(field, await (await SendAsync(merchant, recipient, type, $"{mine.Id()}")).ErrorAsync(400));
        }
        await (await merchant.Client.PostFormAsync(Url, ("recipient", "0720000000"), ("type", "Sms"))).ErrorAsync(400);
        await (await merchant.Client.SendRawAsync(HttpMethod.Post, Url, "{\"recipient\": ", "application/json")).ErrorAsync(400);

        // The one good request is the only receipt kept, for either organisation.
        await (await SendAsync(merchant, "+27 82 111 2222", "sms", $"{mine.Id()}")).JsonAsync(200);
        var receipt = Assert.Single(await ReceiptsAsync(merchant, 1));
        Assert.Equal("+27821112222", receipt.Text("to"));
        Assert.Equal(mine.Id(), receipt.GetProperty("transaction_id").GetInt64());
        Assert.Empty(await other.Client.NotificationsAsync(other.Id));
    }
}

/// <summary>The default templates as the organisation view shows them.</summary>
internal static class ReceiptDefaults
{
    public const string Sms =
        "{merchantName}: payment of {amount} received, ref {reference}, transaction {transactionId}, {date}. Thank you.";
}

/// <summary>Receipts with an <c>Idempotency-Key</c>, raced: one receipt leaves, whatever the number of retries.</summary>
public sealed class ReceiptIdempotencyTests(ExpressFileApp app) : IClassFixture<ExpressFileApp>
{
    [Fact]
    public async Task RacedRetriesWithOneIdempotencyKeySendOneReceiptAndRequestsWithoutOneSendEach()
    {
        using var merchant = await app.MerchantAsync();
        var paid = (await merchant.Client.PayAsync()).Transaction();
        HttpRequestMessage Request(string recipient) => PaymentKit.FormRequest(HttpMethod.Post, "/api/v1/notification/send",
            ("recipient", recipient), ("type", "Email"), ("transactionID", $"{paid.Id()}"));

        var key = Guid.NewGuid().ToString();
        var raced = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => merchant.Client.SendAsync(Request("keyed@example.com").WithKey(key))));
        Assert.All(raced, r => Assert.Contains((int)r.StatusCode, new[] { 200, 409 }));
        Assert.Contains(raced, r => (int)r.StatusCode == 200 && !r.Headers.Contains("Idempotent-Replayed"));
        var replay = await merchant.Client.SendAsync(Request("keyed@example.com").WithKey(key));
        Assert.Equal("""{"result":true}""", (await replay.JsonAsync(200)).GetRawText());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        await (await merchant.Client.SendAsync(Request("other@example.com").WithKey(key))).ErrorAsync(422);

        // The control: the same request twice without a key is two receipts.
        for (var i = 0; i < 2; i++) await (await merchant.Client.SendAsync(Request("plain@example.com"))).JsonAsync(200);
        int SentTo(string to) => app.Email.Sent.Count(m => m.About.TransactionId == paid.Id() && m.To == to);
        await Eventually.HoldsAsync(() => SentTo("plain@example.com") == 2, "both unkeyed receipts are sent");
        var queue = app.Service<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(app.Sender.QueueName);
        await Eventually.HoldsAsync(async () => (await queue.PeekMessagesAsync(1)).Value.Length == 0, "the queue is drained");
        Assert.Equal(1, SentTo("keyed@example.com"));
    }
}
