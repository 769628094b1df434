using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cashier;

/// <summary>
/// Payouts (document 003): the payout cashier, the user's request on its page, the merchant's approval or rejection
/// (exactly one of them, however they race), and the provider paying or refusing it.
/// </summary>
public sealed class CashierPayoutTests(CashierGatewayApp app) : IClassFixture<CashierGatewayApp>
{
    [Fact]
    public async Task ThePayoutPageTakesTheUsersRequestWhichWaitsPendingForTheMerchant()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync("/api/cashier/payout");
        var html = await (await app.Payer().GetAsync($"/cashier/{token}")).HtmlAsync(200);
        Assert.Contains("<h1>Bank transfer</h1>", html);
        Assert.Contains("name=\"holder\"", html);
        Assert.DoesNotContain("name=\"pan\"", html);

        var posted = await app.SubmitAtAsync(token, null, ("holder", "John Doe"), ("bank", "FNB"),
            ("account", "62000000001"));
        Assert.Equal($"/cashier/{token}", posted.Headers.Location!.ToString());
        var page = await (await app.Payer().GetAsync($"/cashier/{token}")).HtmlAsync(200);
        Assert.Contains("waiting for approval", page);
        Assert.DoesNotContain("62000000001", page);
        Assert.Contains("FNB *******0001", page);

        var t = await merchant.TransactionOfPageAsync(app, token);
        Assert.Equal("withdrawal", t.GetProperty("transaction_type").GetString());
        Assert.Equal("pending", t.GetProperty("status").GetString());
        Assert.Equal("bank_transfer_simulator", t.GetProperty("payment_provider").GetString());

        // Nothing is paid before the merchant approves, however often the runner runs.
        await app.RunCashierAsync();
        Assert.Equal("pending", (await merchant.StatusAsync(t.GetProperty("transaction_id").GetString()!))
            .GetProperty("transaction_status").GetString());
    }

    [Fact]
    public async Task AnApprovedPayoutAnswersPendingAndIsThenPaidByTheProvider()
    {
        using var merchant = await app.CashierMerchantAsync();
        var id = await merchant.RequestPayoutAsync(app);
        var approved = await (await merchant.DecideAsync("approve", id)).JsonAsync(200);
        Assert.Equal("Transaction Withdrawal has been approved successfully",
            approved.GetProperty("message").GetString());
        Assert.Equal("pending", approved.GetProperty("transaction_status").GetString());
        Assert.Equal(["message", "transaction_status"], approved.Keys());

        // Approving again is answered the same; rejecting now is refused.
        await (await merchant.DecideAsync("approve", id)).JsonAsync(200);
        Assert.Contains("already approved", await (await merchant.DecideAsync("reject", id)).ErrorAsync(409));

        await app.RunCashierAsync();
        var status = await merchant.StatusAsync(id);
        Assert.Equal("successful", status.GetProperty("transaction_status").GetString());
        var view = await (await merchant.Api.GetAsync($"/api/v1/payout/100/{id}")).JsonAsync(200);
        Assert.Equal(id, view.GetProperty("transaction_id").GetString());
        Assert.Equal("successful", view.GetProperty("status").GetString());
        Assert.Matches("^[0-9a-f-]{36}$", view.GetProperty("provider_transaction_id").GetString());
    }

    [Fact]
    public async Task ATestAccountMakesTheProviderRefuseWithItsReason()
    {
        using var merchant = await app.CashierMerchantAsync();
        var id = await merchant.RequestPayoutAsync(app, CashierKit.PayoutRefused);
        await (await merchant.DecideAsync("approve", id)).JsonAsync(200);
        await app.RunCashierAsync();
        var status = await merchant.StatusAsync(id);
        Assert.Equal(["transaction_status", "rejected_reason"], status.Keys());
        Assert.Equal("rejected", status.GetProperty("transaction_status").GetString());
        Assert.Equal("Insufficient funds", status.GetProperty("rejected_reason").GetString());
    }

    [Fact]
    public async Task ARejectedPayoutAnswersAnEmptyObjectAndCanNoLongerBeApproved()
    {
        using var merchant = await app.CashierMerchantAsync();
        var id = await merchant.RequestPayoutAsync(app);
        var rejected = await (await merchant.DecideAsync("reject", id)).JsonAsync(200);
        Assert.Empty(rejected.Keys());
        await (await merchant.DecideAsync("reject", id)).JsonAsync(200);
        Assert.Contains("already rejected", await (await merchant.DecideAsync("approve", id)).ErrorAsync(409));
        var status = await merchant.StatusAsync(id);
        Assert.Equal("rejected", status.GetProperty("transaction_status").GetString());
        Assert.Equal("Rejected by the merchant", status.GetProperty("rejected_reason").GetString());
    }

    [Fact]
    public async Task APayoutTheUserHasNotAskedForCanBeRejectedButNotApproved()
    {
        using var merchant = await app.CashierMerchantAsync();
        var tracking = Guid.NewGuid().ToString();
        var token = await merchant.OpenAsync("/api/cashier/payout", CashierKit.Body(tracking));
        Assert.Contains("not asked", await (await merchant.DecideAsync("approve", tracking)).ErrorAsync(409));
        await (await merchant.DecideAsync("reject", tracking)).JsonAsync(200);
        var page = await (await app.Payer().GetAsync($"/cashier/{token}")).HtmlAsync(200);
        Assert.Contains("Withdrawal rejected", page);
    }

    [Fact]
    public async Task ConcurrentApproveAndRejectEndInExactlyOneOutcome()
    {
        using var merchant = await app.CashierMerchantAsync();
        for (var round = 0; round < 4; round++)
        {
            var id = await merchant.RequestPayoutAsync(app);
            var answers = await Task.WhenAll(
                merchant.DecideAsync("approve", id), merchant.DecideAsync("reject", id),
                merchant.DecideAsync("approve", id), merchant.DecideAsync("reject", id));
            var codes = answers.Select(a => (int)a.StatusCode).ToList();
            var approvedWon = codes[0] == 200;
            // The winner's side all answer 200 (a repeat is answered the same); the other side all 409.
            Assert.Equal(approvedWon ? [200, 409, 200, 409] : new[] { 409, 200, 409, 200 }, codes);
            await app.RunCashierAsync();
            var status = (await merchant.StatusAsync(id)).GetProperty("transaction_status").GetString();
            Assert.Equal(approvedWon ? "successful" : "rejected", status);
        }
    }

    [Fact]
    public async Task ADepositIsNoPayout()
    {
        using var merchant = await app.CashierMerchantAsync();
        var s2s = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody())).JsonAsync(200);
        var id = s2s.GetProperty("transaction_id").GetString()!;
        await (await merchant.DecideAsync("approve", id)).ErrorAsync(404);
        await (await merchant.DecideAsync("reject", id)).ErrorAsync(404);
        await (await merchant.Api.GetAsync($"/api/v1/payout/100/{id}")).ErrorAsync(404);
        Assert.Equal("pending", (await merchant.StatusAsync(id)).GetProperty("transaction_status").GetString());
        Assert.Contains("transaction_id", await (await merchant.Api.PostJsonAsync("/api/cashier/payout/approve",
            new JsonObject())).ErrorAsync(400));
    }

    [Fact]
    public async Task LivePayoutsAreRefusedUntilAConnectorExists()
    {
        using var merchant = await app.CashierMerchantAsync(mode: "live", keyMode: "live");
        var error = await (await merchant.Api.PostJsonAsync("/api/cashier/payout",
            CashierKit.Body(change: r => r["mode"] = "live"))).ErrorAsync(409);
        Assert.Contains("payout provider connector", error);
        Assert.Equal(HttpStatusCode.OK, (await merchant.Api.GetAsync("/api/cashier/transactions")).StatusCode);
        Assert.Empty((await merchant.ListAsync()).EnumerateArray());
    }
}
