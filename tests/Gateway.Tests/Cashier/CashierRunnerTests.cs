using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;

namespace Gateway.Tests.Cashier;

/// <summary>
/// The cashier's timer closes what users abandoned, on a moved clock: every transaction ends, and says how.
/// </summary>
public sealed class CashierRunnerTests(CashierClockApp app) : IClassFixture<CashierClockApp>
{
    [Fact]
    public async Task AnExpiredPageIsGoneAndTheRunnerRejectsTheAbandonedDeposit()
    {
        using var merchant = await app.CashierMerchantAsync();
        var token = await merchant.OpenAsync();
        var id = (await merchant.TransactionOfPageAsync(app, token)).GetProperty("transaction_id").GetString()!;
        app.Clock!.Advance(TimeSpan.FromMinutes(61));
        await (await app.Payer().GetAsync($"/cashier/{token}")).HtmlAsync(410);
        await app.RunCashierAsync();
        var status = await merchant.StatusAsync(id);
        Assert.Equal("rejected", status.GetProperty("transaction_status").GetString());
        Assert.StartsWith("Expired", status.GetProperty("rejected_reason").GetString());
        Assert.Contains("Deposit rejected", await (await app.Payer().GetAsync($"/cashier/{token}")).HtmlAsync(200));
    }


    [Fact]
    public async Task AnUnansweredChallengeFailsWhenItsSessionExpires()
    {
        using var merchant = await app.CashierMerchantAsync();
        var s2s = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody())).JsonAsync(200);
        var id = s2s.GetProperty("transaction_id").GetString()!;
        await app.RunCashierAsync();
        Assert.Equal("pending", (await merchant.StatusAsync(id)).GetProperty("transaction_status").GetString());

        app.Clock!.Advance(TimeSpan.FromMinutes(61));
        await app.RunCashierAsync();
        var status = await merchant.StatusAsync(id);
        Assert.Equal("rejected", status.GetProperty("transaction_status").GetString());
        Assert.Equal("3-D Secure authentication failed", status.GetProperty("rejected_reason").GetString());
        var page = new Uri(s2s.GetProperty("url").GetString()!).AbsolutePath;
        Assert.Contains("Deposit rejected",
            await (await app.Payer().GetAsync(page.Replace("/3ds", ""))).HtmlAsync(200));
    }

    [Fact]
    public async Task TheRunnerReadsOnlyWhatIsDueAndForgetsWhatIsDone()
    {
        using var merchant = await app.CashierMerchantAsync();
        var paid = await merchant.OpenAsync();
        await app.SubmitAtAsync(paid, 211, ("bank", "FNB"), ("account", "62000000001"));
        var payout = await merchant.RequestPayoutAsync(app);
        var declined = await (await merchant.Api.PostJsonAsync("/api/cashier/deposit/s2s",
            CashierKit.S2SBody(CashierKit.Declined))).JsonAsync(200);
        Assert.Equal("rejected", declined.Text("transaction_status"));
        // Noted: the two pages (due when they would expire); not the deposit that ended as it was opened.
        Assert.Equal(2, await NotesAsync(merchant.Id));

        await (await merchant.DecideAsync("approve", payout)).JsonAsync(200);
        await app.RunCashierAsync();
        Assert.Equal("successful", (await merchant.StatusAsync(payout)).Text("transaction_status"));
        Assert.Equal(1, await NotesAsync(merchant.Id));

        app.Clock!.Advance(TimeSpan.FromMinutes(61));
        await app.RunCashierAsync();
        Assert.Equal(0, await NotesAsync(merchant.Id));
        var t = await merchant.TransactionOfPageAsync(app, paid);
        Assert.Equal("successful", t.Text("status"));
    }

    private async Task<int> NotesAsync(long organisationId)
    {
        var lookups = new Azure.Data.Tables.TableClient(app.Azurite.ConnectionString,
            app.Settings["Storage:TablePrefix"] + "Lookups");
        var count = 0;
        await foreach (var _ in lookups.QueryAsync<Azure.Data.Tables.TableEntity>(
            Azure.Data.Tables.TableClient.CreateQueryFilter(
                $"RowKey ge {$"{organisationId:D10}-"} and RowKey lt {$"{organisationId:D10}."}")))
        {
            count++;
        }
        return count;
    }
}
