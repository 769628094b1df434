using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Codes;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.Options;

namespace Gateway.Bench;

/// <summary>
/// Payable codes under load (see <see cref="LoadRun"/>): creating codes of both kinds as an x-api-key merchant, and
/// paying a reusable code in an app again and again, the gateway process against the storage floor.
/// </summary>
public static class CodesLoad
{
    /// <summary>The operations measured, each on fresh tenants: create use-once, create reusable, pay.</summary>
    public const int Operations = 3;

    public static async Task MeasureAsync(Azurite azurite, CodeRoundTrips.Setup setup, string configuration,
        TimeSpan duration, int[] concurrencies)
    {
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite));
        var queue = RoundTrips.Queues(azurite).GetQueueClient(new PaymentOptions().EventQueue);
        var rows = new Rows(tables, queue, new IdAllocator(tables, Options.Create(new IdOptions())), setup.Rows);
        await using var run = await LoadRun.StartAsync(azurite, configuration);
        LoadRun.Operation Create(CodeRoundTrips.Tenant tenant, bool useOnce) =>
            new(useOnce ? "create/once" : "create/reuse", "POST", "/api/code/create",
                CodeRoundTrips.CreateBody(useOnce), tenant.Merchant.ApiKey, () => rows.Create(tenant, useOnce),
                "application/json");
        // The payer sends no credentials.
        LoadRun.Operation Pay(CodeRoundTrips.Tenant tenant) => new("pay/reuse", "POST", $"/api/code/{tenant.Code}/pay",
            CodeRoundTrips.PayBody, ApiKey: null, () => rows.Pay(tenant));
        Func<CodeRoundTrips.Tenant, LoadRun.Operation>[] operations =
            [t => Create(t, true), t => Create(t, false), Pay];

        // Warm-up on the main tenant, so that the fresh tenants' partitions start empty.
        foreach (var operation in operations) await run.WarmUpAsync(operation(setup.Main), concurrencies[0]);
        var results = new List<LoadRun.Result>();
        var fresh = new Queue<CodeRoundTrips.Tenant>(setup.Fresh);
        foreach (var concurrency in concurrencies)
        {
            foreach (var operation in operations)
            {
                // Each writes to its organisation's partition, so each side gets a fresh one (see PaymentsLoad).
                var (forGateway, forFloor) = (fresh.Dequeue(), fresh.Dequeue());
                results.Add(await run.CompareAsync(operation(forGateway), operation(forFloor), concurrency, duration));
            }
        }
        run.Print("Payable codes", results, duration);
        PrintNotes(setup.Rows);
    }

    private static void PrintNotes(CodeRoundTrips.Templates rows)
    {
        static string Size(TableEntity row) => $"{PaymentRoundTrips.Size(row)} bytes";
        RoundTrips.PrintWrapped("(floor per request: the round trips counted above, with copies of the gateway's " +
            "rows (their properties as JSON): create/once: ApiKeys GET, organisation GET, Lookups insert of the " +
            $"digits, Lookups insert of the key, one batch of key ({Size(rows.OpenKey)}) and code " +
            $"({Size(rows.OnceCode)}); create/reuse: the two auth GETs, the digits' insert, a batch of the code " +
            $"({Size(rows.ReusableCode)}); pay/reuse: the digits' Lookups GET, code GET, organisation GET, Lookups " +
            "insert of a fresh key, a batch of the key, the id counter's share, key PUT (the hold), one " +
            $"5-row batch (transaction {Size(rows.Transaction)}, 2 index rows, event, paid key " +
            $"{Size(rows.PaidKey)}), one queue send, the notice follower's code GET; {Environment.ProcessorCount} " +
            "cores shared by Azurite, the " +
            "gateway, wrk and this process)", "   ", "  ");
    }

    /// <summary>
    /// The storage work of one request, as the gateway does it: authentication as <see cref="PaymentsLoad"/> does it,
    /// then CodeService.CreateAsync (CodeStore.ClaimDigitsAsync, PaymentStore.CreateKeyAsync) or PayAsync (its
    /// OpenAsync, a reusable code's fresh key, HostedPayments.AttemptAsync's hold and PaymentService.CreateAsync).
    /// </summary>
    private sealed class Rows(GatewayTables tables, QueueClient queue, IdAllocator ids,
        CodeRoundTrips.Templates templates)
    {
        public Func<Task> Create(CodeRoundTrips.Tenant tenant, bool useOnce) => async () =>
        {
            var merchant = tenant.Merchant;
            await PaymentsLoad.AuthenticateAsync(tables, merchant);
            // Ten random digits, drawn as the gateway draws them: they collide as rarely.
            var digits = Random.Shared.NextInt64(10_000_000_000).ToString("D10", CultureInfo.InvariantCulture);
            await tables.Lookups.AddEntityAsync(new TableEntity(CodeRows.Lookup(digits), "")
            {
                ["OrganisationId"] = merchant.OrganisationId, ["Nonce"] = Guid.NewGuid().ToString("N"),
            });
            var partition = PaymentRows.Partition(merchant.OrganisationId);
            var code = PaymentRoundTrips.Copy(useOnce ? templates.OnceCode : templates.ReusableCode, partition,
                CodeRows.Row(digits));
            if (!useOnce)
            {
                await PaymentsLoad.CommitAsync(tables, [TableActions.Insert(code)]);
                return;
            }
            var key = await AddKeyLookupAsync(merchant.OrganisationId);
            code["PaymentKey"] = key;
            var keyRow = PaymentRoundTrips.Copy(templates.OpenKey, partition, PaymentRows.PaymentKeyRow(key));
            await PaymentsLoad.CommitAsync(tables, [TableActions.Insert(keyRow), TableActions.Insert(code)]);
        };

        public Func<Task> Pay(CodeRoundTrips.Tenant tenant) => async () =>
        {
            var organisation = tenant.Merchant.OrganisationId;
            var partition = PaymentRows.Partition(organisation);
            _ = await tables.Lookups.FindAsync(CodeRows.Lookup(tenant.Code), "", ["OrganisationId"])
                ?? throw new InvalidOperationException("No lookup row of the code.");
            _ = await tables.Payments.FindAsync(partition, CodeRows.Row(tenant.Code))
                ?? throw new InvalidOperationException("No code row.");
            _ = await tables.Identity.FindAsync(IdentityKeys.Partition(organisation), Organisation.RowKey)
                ?? throw new InvalidOperationException("No organisation row.");

            var key = await AddKeyLookupAsync(organisation);
            var keyRow = PaymentRows.PaymentKeyRow(key);
            // The new key's ETag comes with the batch's answer: the gateway does not read it back either.
            var opened = await PaymentsLoad.CommitAsync(tables,
                [TableActions.Insert(PaymentRoundTrips.Copy(templates.OpenKey, partition, keyRow))]);
            var id = await ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
            var paid = PaymentRoundTrips.Copy(templates.PaidKey, partition, keyRow);
            var held = await tables.Payments.TryReplaceAsync(paid, opened[0], CancellationToken.None)
                ?? throw new InvalidOperationException("The floor's hold was refused.");
            // The payment's rows (its key is the code's, not indexed) and the paid key, checked against the hold.
            await PaymentsLoad.CommitAsync(tables,
            [
                .. PaymentsLoad.NewTransaction(organisation, id, templates.Transaction, templates.Event,
                    paymentKey: null),
                TableActions.Replace(paid, held),
            ]);
            await PaymentsLoad.PublishAsync(queue, organisation, id, templates.Transaction);
            // The notice follower's read of the code, as the event is published (CodePaidNotifier).
            _ = await tables.Payments.FindAsync(partition, CodeRows.Row(tenant.Code));
        };

        /// <summary>PaymentStore.CreateKeyAsync's Lookups row of a new random key; the key.</summary>
        private async Task<string> AddKeyLookupAsync(long organisationId)
        {
            var key = Secrets.Hex(16);
            var row = new TableEntity(PaymentRows.KeyLookup(key), "") { ["OrganisationId"] = organisationId };
            await tables.Lookups.AddEntityAsync(row);
            return key;
        }
    }
}
