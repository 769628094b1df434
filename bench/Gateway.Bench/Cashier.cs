using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Cashier;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Testing;
using Microsoft.Extensions.Options;

namespace Gateway.Bench;

/// <summary>
/// Cashier deposits opened under load (see <see cref="LoadRun"/>), as an x-api-key merchant, each request with a
/// tracking_id of its own: hosted deposits, and server-to-server card deposits, both the usual one (3-D Secure asked
/// for: pending) and a declined card's (final at once: its event is written and sent), the gateway process against
/// the storage floor.
/// </summary>
public static class CashierLoad
{
    /// <summary>The operations measured, each on fresh tenants: hosted, s2s with 3-D Secure, s2s declined.</summary>
    public const int Operations = 3;

    public static async Task MeasureAsync(Azurite azurite, CashierRoundTrips.Setup setup, string configuration,
        TimeSpan duration, int[] concurrencies)
    {
        var tables = RoundTrips.GatewayTables(RoundTrips.Tables(azurite));
        var queue = RoundTrips.Queues(azurite).GetQueueClient(new PaymentOptions().EventQueue);
        var floor = new Floor(tables, queue, new IdAllocator(tables, Options.Create(new IdOptions())),
            new CashierOptions().SessionLifetime);
        await using var run = await LoadRun.StartAsync(azurite, configuration);
        // wrk puts a tracking_id of its own in each request (LoadRun.Unique); the floor draws its own.
        LoadRun.Operation Open(string name, string path, string body, CashierTransaction template,
            PaymentRoundTrips.Tenant tenant) =>
            new(name, "POST", path, body, tenant.ApiKey, () => floor.Open(tenant, template), "application/json");
        var rows = setup.Rows;
        Func<PaymentRoundTrips.Tenant, LoadRun.Operation>[] operations =
        [
            t => Open("deposit", "/api/cashier/deposit", CashierRoundTrips.DepositBody(LoadRun.Unique), rows.Hosted, t),
            t => Open("s2s/3ds", "/api/cashier/deposit/s2s",
                CashierRoundTrips.S2SBody(LoadRun.Unique, CashierRoundTrips.ChallengedCard), rows.Challenged, t),
            t => Open("s2s/declined", "/api/cashier/deposit/s2s",
                CashierRoundTrips.S2SBody(LoadRun.Unique, CashierRoundTrips.DeclinedCard), rows.Declined, t),
        ];

        // Warm-up on the main tenant, so that the fresh tenants' partitions start empty.
        foreach (var operation in operations) await run.WarmUpAsync(operation(setup.Main), concurrencies[0]);
        _ = floor.TakeSteps(); // Not the warm-ups'.
        var results = new List<LoadRun.Result>();
        var fresh = new Queue<PaymentRoundTrips.Tenant>(setup.Fresh);
        // The organisations whose due notes were written: main (the round trips, the warm-ups), then the figures'.
        var noted = new List<long> { setup.Main.OrganisationId };
        foreach (var concurrency in concurrencies)
        {
            foreach (var operation in operations)
            {
                // Each writes to its organisation's partition, so each side gets a fresh one (see PaymentsLoad).
                var (forGateway, forFloor) = (fresh.Dequeue(), fresh.Dequeue());
                var (gateway, floorSide) = (operation(forGateway), operation(forFloor));
                if (gateway.Name != "s2s/declined")
                {
                    noted.AddRange([forGateway.OrganisationId, forFloor.OrganisationId]);
                }
                results.Add(await run.CompareAsync(gateway, floorSide, concurrency, duration, floor.TakeSteps));
            }
        }
        run.Print("Cashier deposits", results, duration);
        PrintNotes(rows, ownShards: noted.Select(o => o % CashierStore.DueShards).Distinct().Count() == noted.Count);
    }

    private static void PrintNotes(CashierRoundTrips.Templates rows, bool ownShards)
    {
        // As stored: a property without a value is not written.
        static string Size(TableEntity row)
        {
            foreach (var name in row.Keys.Where(name => row[name] is null).ToList()) row.Remove(name);
            return $"{PaymentRoundTrips.Size(row)} bytes";
        }
        var declinedEvent = (TableEntity)PaymentStore.EventInsert(rows.Declined.Event(), DateTimeOffset.UtcNow, null)
            .Entity;
        var shards = ownShards
            ? "Lookups partition (one of 16 shards) was each organisation's own"
            : "Lookups partitions (16 shards) were shared by some of them";
        RoundTrips.PrintWrapped("(floor per request: the round trips counted above, with the gateway's rows made " +
            "as it makes them from its transactions read back (their properties as JSON): deposit and s2s/3ds: " +
            "ApiKeys GET, organisation GET, then together the providers settings' GET and the tracking_id claim's " +
            "GET (none), the id counter's share, then together the page token's Lookups insert and the runner's due " +
            $"note (Lookups PUT), one batch of the transaction (deposit {Size(rows.Hosted.ToEntity())}, s2s/3ds " +
            $"{Size(rows.Challenged.ToEntity())}), its public-id index row and its tracking_id claim; s2s/declined: " +
            "the same without the due note, the batch with the event too (transaction " +
            $"{Size(rows.Declined.ToEntity())}, event {Size(declinedEvent)}), then one queue send. The gateway also " +
            "charges the card at the simulated acquirer, in its own process. Fresh organisations per figure and " +
            $"side; the due notes' {shards}; {Environment.ProcessorCount} cores shared by Azurite, the gateway, wrk " +
            "and this process)", "   ", "  ");
    }

    /// <summary>
    /// The storage work of one request, as the gateway does it: authentication as <see cref="PaymentsLoad"/> does
    /// it, then CashierService.OpenAsync (the retry check and the providers read together, the id, the charge, then
    /// CashierStore.CreateAsync: the token's lookup and the due note together, the batch; the event sent when final).
    /// </summary>
    private sealed class Floor(GatewayTables tables, QueueClient queue, IdAllocator ids, TimeSpan sessionLifetime)
    {
        // CashierStore's row of the providers an organisation switched off (its SettingsRow).
        private const string SettingsRow = "cashier-settings";

        private static readonly string[] Steps = ["auth GETs", "reads", "id", "Lookups", "batch", "queue send"];

        // Mean time per step, to show where the floor's time goes: ticks per step, and the count of requests.
        private readonly long[] _stepTicks = new long[Steps.Length];
        private long _requests;

        public Func<Task> Open(PaymentRoundTrips.Tenant tenant, CashierTransaction template) => async () =>
        {
            var step = Stopwatch.GetTimestamp();
            await PaymentsLoad.AuthenticateAsync(tables, tenant);
            step = Step(0, step);
            var organisation = tenant.OrganisationId;
            var partition = PaymentRows.Partition(organisation);
            var trackingId = Guid.NewGuid().ToString();
            var disabled = tables.Payments.FindAsync(partition, SettingsRow, ["Disabled"]);
            var earlier = tables.Payments.FindAsync(partition, CashierTransaction.TrackingRow(trackingId),
                ["TransactionId"]);
            await Task.WhenAll(disabled, earlier);
            if (await earlier is not null) throw new InvalidOperationException("A new tracking id is claimed.");
            step = Step(1, step);
            var id = await ids.NextAsync(PaymentService.TransactionSequence, CancellationToken.None);
            step = Step(2, step);

            var now = DateTimeOffset.UtcNow;
            var t = template with
            {
                OrganisationId = organisation, Id = id, PublicId = CashierTransaction.NewPublicId(),
                GatewayId = CashierTransaction.NewPublicId(), Token = CashierTransaction.NewToken(),
                TrackingId = trackingId, Created = now, Updated = now,
            };
            var token = tables.Lookups.AddEntityAsync(new TableEntity(CashierTransaction.TokenLookup(t.Token), "")
            {
                ["OrganisationId"] = organisation, ["TransactionId"] = id,
            });
            // CashierStore.NoteDueAsync's row: the organisation's shard of the runner's notes.
            var due = new TableEntity($"cashier-due-{organisation % CashierStore.DueShards:D2}",
                $"{organisation:D10}-{id:D12}") { ["Due"] = now + sessionLifetime };
            var note = t.IsFinal ? Task.CompletedTask : tables.Lookups.UpsertEntityAsync(due, TableUpdateMode.Replace);
            await Task.WhenAll(token, note);
            step = Step(3, step);

            var first = t.IsFinal ? t.Event() : null;
            await PaymentsLoad.CommitAsync(tables,
            [
                TableActions.Insert(t.ToEntity()), Index(partition, CashierTransaction.PublicIdRow(t.PublicId), id),
                Index(partition, CashierTransaction.TrackingRow(trackingId), id),
                .. first is null ? [] : new[] { PaymentStore.EventInsert(first, now, null) },
            ]);
            step = Step(4, step);
            if (first is not null)
            {
                await queue.SendMessageAsync(first.QueueMessage());
                Step(5, step);
            }
            Interlocked.Increment(ref _requests);
        };

        /// <summary>The mean of each step since the last call, in ms; then starts counting afresh.</summary>
        public string TakeSteps()
        {
            var count = Math.Max(1, Interlocked.Exchange(ref _requests, 0));
            return string.Join(", ", Steps.Select((name, i) =>
                    (name, ticks: Interlocked.Exchange(ref _stepTicks[i], 0)))
                .Where(s => s.ticks > 0)
                .Select(s => $"{s.name} {Stopwatch.GetElapsedTime(0, s.ticks).TotalMilliseconds / count:0.0}"));
        }

        private long Step(int index, long since)
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _stepTicks[index], now - since);
            return now;
        }

        /// <summary>An index row as CashierStore.CreateAsync writes it.</summary>
        private static TableTransactionAction Index(string partition, string row, long transactionId) =>
            TableActions.Insert(new TableEntity(partition, row)
            {
                ["Kind"] = "index", ["TransactionId"] = transactionId,
            });
    }
}
