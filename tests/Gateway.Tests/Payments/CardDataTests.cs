using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>
/// Card numbers and CVVs never rest anywhere: after card payments of every kind, no table row, queue message or
/// log line holds a full card number or the CVVs used. The scan covers every table of the gateway, so it also
/// checks whatever the other test classes wrote to the shared storage before it ran.
/// </summary>
public sealed class CardDataApp : GatewayApp
{
    /// <summary>Its own event queue, which the test drains; the tables it scans are everyone's.</summary>
    public CardDataApp() => Settings["Payments:EventQueue"] = "carddata-" + Guid.NewGuid().ToString("N")[..10];
}

public sealed class CardDataTests(CardDataApp app) : IClassFixture<CardDataApp>
{
    private const string Cvv = "9173";
    private const string AmexCvv = "8264";

    [Fact]
    public async Task NoFullCardNumberOrCvvIsStoredQueuedOrLogged()
    {
        using var merchant = await app.MerchantAsync();
        var cards = SimulatedAcquirer.CardDeclines.Keys.Append(PaymentKit.Approved).Append(PaymentKit.Challenge).ToList();
        foreach (var pan in cards)
        {
            await merchant.Client.PostFormAsync("/api/v1/pay/direct", ("amount", "2.00"), ("merchant_reference", "scan"), ("pan", pan),
                ("expiry", "1230"), ("cvv", Cvv), ("return_url", "https://shop.example/back"));
        }
        var auth = (await (await merchant.Client.PostFormAsync("/api/v1/pay/auth", ("amount", "3.00"), ("merchant_reference", "scan"),
            ("pan", "378282246310005"), ("expiry", "1230"), ("cvv", AmexCvv))).JsonAsync(200)).Transaction();
        await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()))).JsonAsync(200);
        await (await merchant.Client.PutAsync($"/api/v1/gateway-transaction/refund/{auth.Id()}", null)).JsonAsync(200);

        var key = await (await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", "4.00"), ("merchant_reference", "scan"))).JsonAsync(200);
        var card = new CardDetails(PaymentKit.Approved, 12, 2030, Cvv, null);
        await app.Service<HostedPayments>().PayByCardAsync(key.Text("key"), card, rememberCard: true, CancellationToken.None);

        // The vault: a card stored directly and one remembered on the hosted page (captured, then tokenised), both
        // paid and authorised with; a card remembered and left captured; enquiries.
        var stored = await (await merchant.Client.PostFormAsync("/api/v1/customer-token/direct", ("merchant_reference", "scan-card"),
            ("pan", "378282246310005"), ("expiry", "1230"), ("cvv", AmexCvv))).JsonAsync(200);
        var remembered = await (await merchant.Client.PostFormAsync("/api/v1/customer-token", ("merchant_reference", "scan"))).JsonAsync(200);
        foreach (var guid in new[] { stored.Text("guid"), remembered.Text("guid") })
        {
            await (await merchant.Client.PostFormAsync($"/api/v1/customer-token/{guid}/pay", ("amount", "5.00"), ("reference", "scan-pay"))).JsonAsync(200);
            await (await merchant.Client.PostFormAsync($"/api/v1/customer-token/{guid}/auth", ("amount", "5.00"), ("reference", "scan-auth"))).JsonAsync(200);
        }
        var leftCaptured = await (await merchant.Client.PostFormAsync("/api/v1/payment-key", ("amount", "4.00"), ("merchant_reference", "scan-left"))).JsonAsync(200);
        await app.Service<HostedPayments>().PayByCardAsync(leftCaptured.Text("key"), card with { Number = "5555555555554444" }, rememberCard: true, CancellationToken.None);
        foreach (var pan in new[] { PaymentKit.Approved, "4000000000009987" })
        {
            await (await merchant.Client.PostFormAsync("/api/v1/card-enquiry", ("pan", pan), ("expiry", "1230"), ("cvv", Cvv))).JsonAsync(200);
        }
        cards.Add("5555555555554444");

        // A CVV is a short number, so it only counts as a whole token: not inside a GUID, hex string or timestamp.
        const string edge = "0-9A-Za-z.-";
        var forbidden = new Regex($@"{string.Join("|", cards.Append("378282246310005"))}|(?<![{edge}])({Cvv}|{AmexCvv})(?![{edge}])");
        var tables = app.Service<GatewayTables>();
        var scanned = 0;
        foreach (var table in tables.All)
        {
            await foreach (var row in table.QueryAsync<TableEntity>())
            {
                scanned++;
                var text = string.Join("|", row.Select(p => $"{p.Key}={p.Value}"));
                Assert.False(forbidden.IsMatch(text), $"{table.Name} row {row.PartitionKey}/{row.RowKey} holds card data: {forbidden.Match(text).Value}");
            }
        }
        Assert.True(scanned > cards.Count * 3, "the scan saw the payments it made");
        Assert.True(await tables.Payments.FindAsync($"org-{merchant.Id:D10}", $"card-{Guid.Parse(stored.Text("guid")):N}") is not null, "the scan saw the stored cards");

        var queue = app.Service<PaymentEvents>().Queue;
        var messages = 0;
        for (var batch = await ReceiveAsync(queue); batch.Length > 0; batch = await ReceiveAsync(queue))
        {
            foreach (var message in batch)
            {
                messages++;
                Assert.False(forbidden.IsMatch(message.Body.ToString()), $"queue message {message.MessageId} holds card data");
            }
        }
        Assert.True(messages > cards.Count, "the scan saw the events it made");
        // The queue the other test classes share is only peeked: draining it would hide their messages.
        var shared = app.Service<QueueServiceClient>().GetQueueClient(new PaymentOptions().EventQueue);
        await shared.CreateIfNotExistsAsync(); // when this class runs alone, nobody else has made it
        foreach (var message in (await shared.PeekMessagesAsync(32)).Value)
        {
            Assert.False(forbidden.IsMatch(message.Body.ToString()), $"queue message {message.MessageId} holds card data");
        }

        foreach (var line in app.Logs.Lines)
        {
            Assert.False(forbidden.IsMatch(line.Message + line.Exception), $"a log line holds card data: {line.Message}");
        }
    }

    private static async Task<Azure.Storage.Queues.Models.QueueMessage[]> ReceiveAsync(QueueClient queue) =>
        (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
}
