using System.Text.Json;
using Gateway.Collections;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Gateway.Tests.Schedules;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Collections;

/// <summary>
/// The gateway with collections' webhooks delivered and bank answers applied: tables and queues of its own (the
/// submission runner visits every organisation of its tables, the bank results listener takes every message of its
/// queue), loopback allowed and a fast retry schedule.
/// </summary>
public class CollectionsApp : GatewayApp
{
    public CollectionsApp()
    {
        DeliversWebhooks = true;
        var run = Guid.NewGuid().ToString("N")[..10];
        Settings["Storage:TablePrefix"] = "coll" + run;
        Settings["Payments:EventQueue"] = "coll-" + run;
        Settings["Collections:BankResultsQueue"] = "collres-" + run;
        Settings["Webhooks:AllowLoopback"] = "true";
        Settings["Webhooks:RetrySchedule"] = "1s,1s";
    }
}

/// <summary>The same, with batches (and so webhooks) of at most two transactions.</summary>
public sealed class SmallBatchCollectionsApp : CollectionsApp
{
    public SmallBatchCollectionsApp() => Settings["Collections:BatchSize"] = "2";
}

/// <summary>A merchant as the collections API sees it: an organisation (test mode) and its API key.</summary>
public sealed record CollectionsMerchant(Merchant Merchant, HttpClient Api) : IDisposable
{
    public long Id => Merchant.Id;

    public void Dispose()
    {
        Merchant.Dispose();
        Api.Dispose();
    }
}

public static class CollectionsKit
{
    public static readonly string[] TransactionFields =
    [
        "id", "created_at", "updated_at", "charged_at", "status_changed_at", "payment_methods_id", "payments_id",
        "customers_id", "bank_accounts_id", "mandates_id", "transaction_reference", "payment_reference",
        "submission_batch_reference", "transaction_status_lookups_id", "amount", "payment_data", "unpaid_reason",
        "submission_data",
    ];

    public static async Task<CollectionsMerchant> CollectionsMerchantAsync(this GatewayApp app, string mode = "test")
    {
        var merchant = await app.MerchantAsync(mode);
        var key = (await (await merchant.Client.PostFormAsync($"/api/v1/organisation/{merchant.Id}/api-key",
            ("ApiKey[mode]", mode))).JsonAsync(201)).GetProperty("key").GetString()!;
        return new CollectionsMerchant(merchant, app.ClientWithApiKey(key));
    }

    /// <summary>Sets the organisation's test clock (local time, yyyy-MM-dd HH:mm:ss).</summary>
    public static Task ClockAsync(this CollectionsMerchant merchant, string now) => merchant.Merchant.ClockAsync(now);

    public static async Task<string> CustomerAsync(this CollectionsMerchant merchant, string first = "Ann", string last = "Debtor") =>
        (await (await merchant.Api.PostFormAsync("/api/collections/customers", ("first_name", first), ("last_name", last),
            ("email", "ann@example.com"), ("mobile", "0821234567"))).JsonAsync(201)).GetProperty("customer").Text("id");

    public static async Task<string> AccountAsync(this CollectionsMerchant merchant, string customer, string number) =>
        (await (await merchant.Api.PostFormAsync("/api/collections/bank-accounts", ("customers_id", customer), ("bank", "fnb"),
            ("branch_code", "250655"), ("account_number", number), ("account_type", "cheque"),
            ("account_holder", "A Debtor"))).JsonAsync(201)).GetProperty("bank_account").Text("id");

    public static async Task<JsonElement> MandateAsync(this CollectionsMerchant merchant, string customer, string account,
        string method = CollectionsCatalogue.EftDebitOrder) =>
        (await (await merchant.Api.PostFormAsync("/api/collections/mandates", ("customers_id", customer),
            ("bank_accounts_id", account), ("payment_methods_id", method))).JsonAsync(201)).GetProperty("mandate");

    public static async Task<JsonElement> PaymentAsync(this CollectionsMerchant merchant, string mandate, string amount,
        string frequency, string actionDate, string reference) =>
        (await (await merchant.Api.PostFormAsync("/api/collections/payments", ("mandates_id", mandate), ("amount", amount),
            ("frequency", frequency), ("action_date", actionDate), ("transaction_reference", reference)))
            .JsonAsync(201)).GetProperty("payment");

    /// <summary>A customer with an account of this number and an active EFT mandate on it; returns the mandate id.</summary>
    public static async Task<string> DebtorAsync(this CollectionsMerchant merchant, string number, string name = "Ann",
        string method = CollectionsCatalogue.EftDebitOrder)
    {
        var customer = await merchant.CustomerAsync(name);
        return (await merchant.MandateAsync(customer, await merchant.AccountAsync(customer, number), method)).Text("id");
    }

    public static async Task<JsonElement> TransactionsAsync(this CollectionsMerchant merchant, string query = "") =>
        (await (await merchant.Api.GetAsync("/api/collections/transactions" + query)).JsonAsync(200)).GetProperty("transactions");

    public static async Task<JsonElement> RecordAsync(this CollectionsMerchant merchant, string reference) =>
        (await (await merchant.Api.GetAsync("/api/collections/transactions/record/" + Uri.EscapeDataString(reference)))
            .JsonAsync(200)).GetProperty("transaction");

    /// <summary>Runs the submission timer once, as the host would.</summary>
    public static async Task<CollectionsRunResult> RunSubmissionAsync(this GatewayApp app)
    {
        using var scope = app.Services.CreateScope();
        return await ActivatorUtilities.CreateInstance<CollectionsSubmission>(scope.ServiceProvider)
            .RunOnceAsync(CancellationToken.None);
    }
}
