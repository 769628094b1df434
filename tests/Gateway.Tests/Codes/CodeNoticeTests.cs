using System.Text.Json;
using Gateway.Tests.Express;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Codes;

/// <summary><c>smsNotify</c> and <c>emailNotify</c>: told through the notifications queue when their code is paid.</summary>
public sealed class CodeNoticeTests(ExpressApp app) : IClassFixture<ExpressApp>
{
    private async Task<JsonElement> PayAsync(string code, string pan = PaymentKit.Approved)
    {
        using var payer = app.CreateClient();
        return (await (await payer.PostFormAsync($"/api/code/{code}/pay", ("pan", pan), ("expiry", PaymentKit.Expiry),
            ("cvv", "123"))).JsonAsync(200)).Transaction();
    }

    [Fact]
    public async Task ThePeopleACodeNamesAreToldWhenItIsPaidAndNobodyForADecline()
    {
        using var merchant = await app.MerchantAsync();
        var code = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 15, merchantReference = "ticket-3", shortDescription = "Concert ticket", useOnce = false,
            smsNotify = "27832006283, 27832229174", emailNotify = new[] { "boxoffice@example.com" },
        })).Text("code");
        var silent = (await merchant.Client.CreateCodeAsync(new
        {
            amount = 15, merchantReference = "quiet", shortDescription = "Concert ticket",
        })).Text("code");

        await PayAsync(code, "4000000000000002");
        await PayAsync(silent);
        var paid = await PayAsync(code);

        JsonElement[] kept = [];
        await Eventually.HoldsAsync(async () => (kept = await merchant.Client.NotificationsAsync(merchant.Id)).Length >= 3,
            "the three notices are kept");
        Assert.Equal(["27832006283", "27832229174", "boxoffice@example.com"], kept.Select(n => n.Text("to")).Order());
        Assert.All(kept, n => Assert.Equal(paid.Id(), n.GetProperty("transaction_id").GetInt64()));
        var email = kept.Single(n => n.Text("channel") == "email");
        Assert.Equal($"Code {code} paid: R15.00", email.Text("subject"));
        Assert.Contains($"R15.00 paid for Concert ticket (code {code}, ref ticket-3, transaction {paid.Id()})", email.Text("text"));
        // Nothing for the decline, nor for the code that names nobody.
        var queue = app.Service<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(app.Sender.QueueName);
        await Eventually.HoldsAsync(async () => (await queue.PeekMessagesAsync(1)).Value.Length == 0, "the queue is drained");
        Assert.Equal(3, (await merchant.Client.NotificationsAsync(merchant.Id)).Length);
    }
}
