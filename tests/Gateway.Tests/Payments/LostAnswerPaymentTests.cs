using Gateway.Tests.Identity;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Payments;

/// <summary>
/// Payment writes whose answer is lost after they landed (storage's client retries and meets its own write):
/// the merchant still gets the right answer, and nothing is written twice.
/// </summary>
public sealed class LostAnswerPaymentTests(LostAnswerApp app) : IClassFixture<LostAnswerApp>
{
    [Fact]
    public async Task APaymentWhoseCommitAnswerIsLostIsStillApprovedOnce()
    {
        using var merchant = await app.MerchantAsync();
        app.Losses.LoseNext("POST", "$batch");
        var t = (await merchant.Client.PayAsync(reference: "lost-create")).Transaction();
        Assert.Equal(0, app.Losses.Remaining);
        Assert.Equal("complete", (await merchant.Client.ViewAsync(t.Id())).Text("status"));
        Assert.Single(await app.EventsAsync(merchant.Id, t.Id()));
    }

    [Fact]
    public async Task ASettleWhoseCommitAnswerIsLostAnswersSettled()
    {
        using var merchant = await app.MerchantAsync();
        var auth = (await merchant.Client.PayAsync(path: "auth")).Transaction();
        app.Losses.LoseNext("POST", "$batch");
        var settled = await (await merchant.Client.PutFormAsync("/api/v1/pay/settle", ("gateway_transaction_id", auth.Id().ToString()))).JsonAsync(200);
        Assert.Equal(0, app.Losses.Remaining);
        Assert.Equal("complete", settled.Transaction().Text("status"));
        Assert.Equal(["authorised", "complete"], (await app.EventsAsync(merchant.Id, auth.Id())).Select(e => e.GetString("Status")));
    }

    [Fact]
    public async Task ARefundWhoseAnswersAreLostRefundsOnce()
    {
        using var merchant = await app.MerchantAsync();
        var t = (await merchant.Client.PayAsync(amount: "9.00")).Transaction();
        // Both the reservation and the booking lose their answers.
        app.Losses.LoseNext("POST", "$batch", count: 2);
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", ("amount", "4.00"))).JsonAsync(200);
        Assert.Equal(0, app.Losses.Remaining);
        var viewed = await merchant.Client.ViewAsync(t.Id());
        Assert.Equal("4.00", viewed.Text("refunded_amount"));
        // Nothing is left reserved: the other 5.00 can still be refunded, and no more.
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", ("amount", "5.01"))).ErrorAsync(400);
        await (await merchant.Client.PutFormAsync($"/api/v1/gateway-transaction/refund/{t.Id()}", ("amount", "5.00"))).JsonAsync(200);
    }
}
