using System.Text.Json;
using Gateway.Collections;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Webhooks;

namespace Gateway.Tests.Collections;

/// <summary>
/// The whole debit-order cycle as a merchant drives it with the test clock: set-up through the API, submission by the
/// timer on the business day the action date moves to, the bank's answers a business day later, and what the
/// documented endpoints and batched webhooks show at each step.
/// </summary>
public sealed class CollectionsFlowTests(CollectionsApp app) : IClassFixture<CollectionsApp>
{
    [Fact]
    public async Task DebitsAreSubmittedOnTheBusinessDayAndAnsweredPaidOrUnpaidThroughTheApiAndWebhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var merchant = await app.CollectionsMerchantAsync();
        var secret = await merchant.Merchant.SetWebhooksAsync(("collections_webhook_url", receiver.Url("/collections")));
        // Wednesday before Easter 2027: Sunday 28 March is Easter Day and Monday 29 Family Day.
        await merchant.ClockAsync("2027-03-24 09:00:00");
        var ann = await merchant.DebtorAsync("1000000000", "Ann");
        var ben = await merchant.DebtorAsync("1000000002", "Ben");
        var cy = await merchant.DebtorAsync("1000000005", "Cy");
        var annPayment = await merchant.PaymentAsync(ann, "500.25", "once", "2027-03-28", "INV0045");
        var benPayment = await merchant.PaymentAsync(ben, "100", "monthly", "2027-03-28", "INV0046");
        await merchant.PaymentAsync(cy, "75.50", "once", "2027-03-28", "INV0047");
        Assert.Equal("2027-03-30", annPayment.Text("next_action_date"));

        await merchant.ClockAsync("2027-03-29 09:00:00");
        Assert.Equal(0, (await app.RunSubmissionAsync()).Booked);
        Assert.Equal(0, (await merchant.TransactionsAsync()).GetArrayLength());

        await merchant.ClockAsync("2027-03-30 07:00:00");
        var submission = await app.RunSubmissionAsync();
        Assert.Equal((3, 3, 0), (submission.Booked, submission.Submitted, submission.Answered));
        var submitted = await merchant.TransactionsAsync();
        Assert.Equal(3, submitted.GetArrayLength());
        foreach (var t in submitted.EnumerateArray())
        {
            Assert.Equal(CollectionsKit.TransactionFields, t.EnumerateObject().Select(p => p.Name));
            Assert.Equal((CollectionsCatalogue.Submitted, "2027-03-30 00:00:00", "2027-03-30 07:00:00"),
                (t.Text("transaction_status_lookups_id"), t.Text("charged_at"), t.Text("status_changed_at")));
            Assert.Matches("^[A-Z]{4}[0-9]{8}$", t.Text("payment_reference"));
            Assert.Equal(JsonValueKind.Null, t.GetProperty("unpaid_reason").ValueKind);
            Assert.Equal("SUBMITTED", Assert.Single(t.GetProperty("submission_data").EnumerateArray()).Text("message"));
        }
        Assert.Single(submitted.EnumerateArray().Select(t => t.Text("submission_batch_reference")).Distinct());
        var annTransaction = submitted.EnumerateArray().Single(t => t.Text("mandates_id") == ann);
        Assert.Equal((500.25m, annPayment.Text("id"), "INV0045"), (annTransaction.GetProperty("amount").GetDecimal(),
            annTransaction.Text("payments_id"), annTransaction.Text("transaction_reference")));
        Assert.Equal(annPayment.Text("id"), annTransaction.GetProperty("payment_data").Text("id"));
        Assert.Equal("500.25", annTransaction.GetProperty("payment_data").Text("amount"));

        await WebhookKit.UntilAsync(() => receiver.At("/collections").Count == 1, "the submission's batched webhook");
        var first = receiver.At("/collections")[0];
        Assert.Equal("application/json", first.ContentType);
        Assert.Equal(1, WebhookKit.MatchingSignatures(first, secret));
        var hooked = JsonDocument.Parse(first.Body).RootElement.GetProperty("transactions");
        Assert.Equal(submitted.EnumerateArray().Select(t => t.Text("id")).Order(),
            hooked.EnumerateArray().Select(t => t.Text("id")).Order());

        // The bank answers on the business day after the action date.
        await merchant.ClockAsync("2027-03-31 06:00:00");
        Assert.Equal(3, (await app.RunSubmissionAsync()).Answered);
        await Eventually.HoldsAsync(async () => (await merchant.TransactionsAsync("?transaction_status_lookups_id=loo_submitted"))
            .GetArrayLength() == 0, "the bank's answers to be applied");

        var paid = await merchant.RecordAsync("INV0045");
        Assert.Equal((annTransaction.Text("id"), CollectionsCatalogue.Paid, "2027-03-31 06:00:00"),
            (paid.Text("id"), paid.Text("transaction_status_lookups_id"), paid.Text("status_changed_at")));
        Assert.Equal(["SUBMITTED", "PAID"], paid.GetProperty("submission_data").EnumerateArray().Select(e => e.Text("message")));
        var unpaid = await merchant.RecordAsync("INV0046");
        Assert.Equal((CollectionsCatalogue.Unpaid, "INSUFFICIENT FUNDS"),
            (unpaid.Text("transaction_status_lookups_id"), unpaid.Text("unpaid_reason")));
        Assert.Equal(["000000", "000002"], unpaid.GetProperty("submission_data").EnumerateArray().Select(e => e.Text("code")));
        var warned = await merchant.RecordAsync("INV0047");
        Assert.Equal(CollectionsCatalogue.Paid, warned.Text("transaction_status_lookups_id"));
        Assert.Equal(["SUBMITTED", "** WARNING ONLY - ACCOUNT TYPE CHANGE - 0 TO 1 ***", "PAID"],
            warned.GetProperty("submission_data").EnumerateArray().Select(e => e.Text("message")));

        // The documented filters.
        Assert.Equal([unpaid.Text("id")], Ids(await merchant.TransactionsAsync("?transaction_status_lookups_id=loo_unpaid")));
        Assert.Equal(0, (await merchant.TransactionsAsync("?payment_methods_id=pam_debicheck")).GetArrayLength());
        Assert.Equal(3, (await merchant.TransactionsAsync("?payment_methods_id=pam_eft_debit_order")).GetArrayLength());
        Assert.Equal(3, (await merchant.TransactionsAsync("?charged_at_start_date=2027-03-30&charged_end_date=2027-03-30"))
            .GetArrayLength());
        Assert.Equal(0, (await merchant.TransactionsAsync("?charged_at_start_date=2027-03-31")).GetArrayLength());
        Assert.Equal(3, (await merchant.TransactionsAsync("?status_changed_at_start_date=2027-03-31")).GetArrayLength());
        Assert.Equal(0, (await merchant.TransactionsAsync("?status_changed_at_end_date=2027-03-30")).GetArrayLength());

        // Each transaction's changes reach the merchant in order, in batches.
        await WebhookKit.UntilAsync(() => receiver.At("/collections").Count == 2, "the answers' batched webhook");
        var second = JsonDocument.Parse(receiver.At("/collections")[1].Body).RootElement.GetProperty("transactions");
        Assert.Equal(3, second.GetArrayLength());
        Assert.All(second.EnumerateArray(), t => Assert.NotEqual(CollectionsCatalogue.Submitted, t.Text("transaction_status_lookups_id")));

        // The once-off payment is done; the monthly one moves on to its next action date.
        Assert.Equal("completed", await PaymentStatusAsync(merchant, annPayment.Text("id")));
        var monthly = (await (await merchant.Api.GetAsync($"/api/collections/payments/{benPayment.Text("id")}")).JsonAsync(200))
            .GetProperty("payment");
        Assert.Equal(("active", "2027-04-28"), (monthly.Text("status"), monthly.Text("next_action_date")));
    }

    [Fact]
    public async Task ADebiCheckMandateWaitsForTheDebtorsApprovalAndARejectedOneStopsItsPayments()
    {
        using var merchant = await app.CollectionsMerchantAsync();
        await merchant.ClockAsync("2027-06-01 09:00:00");
        var approved = await merchant.DebtorAsync("1000000000", "Dee", CollectionsCatalogue.DebiCheck);
        var declined = await merchant.DebtorAsync("1000000003", "Eve", CollectionsCatalogue.DebiCheck);
        Assert.Equal("pending", await MandateStatusAsync(merchant, approved));
        var kept = await merchant.PaymentAsync(approved, "20", "weekly", "2027-06-01", "DC-1");
        var stopped = await merchant.PaymentAsync(declined, "20", "weekly", "2027-06-01", "DC-2");

        var run = await app.RunSubmissionAsync();
        Assert.Equal(1, run.Booked);
        Assert.Equal("active", await MandateStatusAsync(merchant, approved));
        var rejected = (await (await merchant.Api.GetAsync($"/api/collections/mandates/{declined}")).JsonAsync(200)).GetProperty("mandate");
        Assert.Equal(("rejected", "DEBTOR DECLINED THE MANDATE"), (rejected.Text("status"), rejected.Text("rejected_reason")));
        Assert.Equal("cancelled", await PaymentStatusAsync(merchant, stopped.Text("id")));
        var t = Assert.Single((await merchant.TransactionsAsync()).EnumerateArray());
        Assert.Equal((kept.Text("id"), CollectionsCatalogue.DebiCheck), (t.Text("payments_id"), t.Text("payment_methods_id")));
        var entry = Assert.Single(t.GetProperty("submission_data").EnumerateArray());
        Assert.Equal(["status", "message", "bank_code", "timestamp"], entry.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SUBMITTED", entry.Text("status"));
    }

    [Fact]
    public async Task ACancelledPaymentBooksNothingMoreAndAnEmptyRunChangesNothing()
    {
        using var merchant = await app.CollectionsMerchantAsync();
        await merchant.ClockAsync("2027-07-05 09:00:00");
        var mandate = await merchant.DebtorAsync("1000000000");
        var payment = await merchant.PaymentAsync(mandate, "20", "weekly", "2027-07-05", "CANCEL-1");
        Assert.Equal(1, (await app.RunSubmissionAsync()).Booked);
        await (await merchant.Api.PostAsync($"/api/collections/payments/{payment.Text("id")}/cancel", null)).JsonAsync(200);
        await merchant.ClockAsync("2027-08-05 09:00:00");
        await app.RunSubmissionAsync();
        Assert.Equal(1, (await merchant.TransactionsAsync()).GetArrayLength());
        await (await merchant.Api.PostAsync($"/api/collections/payments/{payment.Text("id")}/cancel", null)).ErrorAsync(409);
    }

    private static IEnumerable<string> Ids(JsonElement list) => list.EnumerateArray().Select(t => t.Text("id"));

    private static async Task<string> PaymentStatusAsync(CollectionsMerchant merchant, string id) =>
        (await (await merchant.Api.GetAsync($"/api/collections/payments/{id}")).JsonAsync(200)).GetProperty("payment").Text("status");

    private static async Task<string> MandateStatusAsync(CollectionsMerchant merchant, string id) =>
        (await (await merchant.Api.GetAsync($"/api/collections/mandates/{id}")).JsonAsync(200)).GetProperty("mandate").Text("status");
}
