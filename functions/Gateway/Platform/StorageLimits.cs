using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Gateway.Platform;

/// <summary>
/// A simulator of Table Storage's scalability targets (<c>Storage:Limits</c>), off by default. Azurite has no limits,
/// so without it a load test measures the emulator's speed, never what the service would let through.
/// </summary>
public sealed class StorageLimitsOptions
{
    public bool Enabled { get; set; }

    /// <summary>Entities a second one partition of a table takes (the service's target: 2,000).</summary>
    public int EntitiesPerPartition { get; set; } = 2000;

    /// <summary>Entities a second the account takes, all tables together (the service's target: 20,000).</summary>
    public int EntitiesPerAccount { get; set; } = 20000;

    /// <summary>
    /// Multiplies both rates: 0.05 runs at a twentieth of them, so a benchmark on a small machine meets the simulated
    /// limit rather than the emulator's own speed.
    /// </summary>
    public double Scale { get; set; } = 1.0;

    /// <summary>
    /// The share of refusals answered 500 OperationTimedOut instead of 503 ServerBusy, as the service sometimes does;
    /// spread evenly (0.1: every tenth refusal), so a run is repeatable.
    /// </summary>
    public double TimeoutShare { get; set; } = 0.1;

    /// <summary>
    /// How often the policy logs, at Information, what it admitted and refused since its last report, by table and
    /// for the hottest partitions (nothing when idle): a benchmark's gateway runs in a process of its own, whose
    /// counters only its log can show. Zero (or less): never.
    /// </summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromMinutes(1);

    public double PartitionRate => EntitiesPerPartition * Scale;

    public double AccountRate => EntitiesPerAccount * Scale;
}

/// <summary>A partition of a table, as the limits count it.</summary>
public readonly record struct StoragePartition(string Table, string PartitionKey);

/// <summary>
/// Table Storage's scalability targets, simulated in the SDK's pipeline just before the transport: a token bucket
/// per table partition and one for the account, refilled continuously at their rates and holding one second's worth.
/// A request is charged its entities (<see cref="TableRequestCost"/>) before it is sent; if either bucket lacks them,
/// it is answered as the service answers then (503 ServerBusy, now and then 500 OperationTimedOut) without reaching
/// storage, and the SDK's retry policy, earlier in the pipeline, backs off and tries again. A query's entities are
/// known only from its answer: they are charged afterwards, which may leave a bucket in debt that later requests wait
/// out, as on the service. Given a logger, it reports every <see cref="StorageLimitsOptions.ReportInterval"/>.
/// </summary>
public sealed class StorageLimitsPolicy : HttpPipelinePolicy, IDisposable
{
    // Rounding in rate × elapsed time must not refuse what a bucket holds exactly.
    private const double Slack = 1e-9;

    // Enough for the partitions one busy tenant spreads a payment over (its shards, its key and organisation rows),
    // few enough for one readable line.
    private const int ReportedPartitions = 12;

    private readonly Lock _lock = new();
    private readonly Dictionary<StoragePartition, Bucket> _partitions = [];
    private readonly Bucket _account;
    private readonly double _partitionRate;
    private readonly double _timeoutShare;
    private readonly TimeProvider _clock;
    private readonly ILogger? _logger;
    private readonly ITimer? _reports;
    private long _entities;
    private long _unpartitioned;
    private long _refused;
    private long _refusedByAccount;
    private long _timedOut;
    private Totals _reported;

    /// <param name="options">The rates, read once.</param>
    /// <param name="clock">
    /// What refills the buckets. The app passes the system clock, never its own <see cref="TimeProvider"/>: tests move
    /// that one for business time (days, in steps), and a moved business clock must not refill storage's buckets.
    /// </param>
    /// <param name="logger">Where the periodic reports go; none without it.</param>
    public StorageLimitsPolicy(StorageLimitsOptions options, TimeProvider clock,
        ILogger<StorageLimitsPolicy>? logger = null)
    {
        _clock = clock;
        _partitionRate = options.PartitionRate;
        _timeoutShare = options.TimeoutShare;
        _account = new Bucket(options.AccountRate, Now());
        _reported = new Totals(0, 0, 0, 0, Now());
        if (logger is not null && options.ReportInterval > TimeSpan.Zero)
        {
            _logger = logger;
            _reports = clock.CreateTimer(_ => Report(), null, options.ReportInterval, options.ReportInterval);
        }
    }

    /// <summary>Entities charged so far, by requests let through and by the answers of queries.</summary>
    public long EntitiesAdmitted
    {
        get { lock (_lock) return _entities; }
    }

    /// <summary>Requests refused so far (each try of a retried call counts).</summary>
    public long RequestsRefused
    {
        get { lock (_lock) return _refused; }
    }

    /// <summary>Of <see cref="RequestsRefused"/>, those answered 500 OperationTimedOut.</summary>
    public long RequestsTimedOut
    {
        get { lock (_lock) return _timedOut; }
    }

    /// <summary>Entities charged so far to each partition (a query not confined to one charges only the account).</summary>
    public IReadOnlyDictionary<StoragePartition, long> PartitionEntities()
    {
        lock (_lock) return _partitions.Where(p => p.Value.Charged != 0).ToDictionary(p => p.Key, p => p.Value.Charged);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var cost = await TableRequestCost.OfAsync(message.Request, message.CancellationToken);
        if (Admit(cost) is { } refusal)
        {
            message.Response = new StorageErrorResponse(refusal.Status, refusal.Code, refusal.Message,
                message.Request.ClientRequestId);
            return;
        }
        await ProcessNextAsync(message, pipeline);
        if (cost.IsQuery && message.Response.Status == 200
            && await TableRequestCost.ReturnedAsync(message) is > 1 and var returned)
        {
            Charge(cost.Partition, returned - 1);
        }
    }

    [DoesNotReturn]
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("The gateway calls storage asynchronously only.");

    /// <summary>Takes the request's entities from its buckets, or says how it is refused (taking nothing).</summary>
    private Refusal? Admit(TableCharge cost)
    {
        lock (_lock)
        {
            var now = Now();
            var partition = cost.Partition is { } key ? PartitionBucket(key, now) : null;
            var partitionHolds = partition?.Holds(cost.Entities, now) ?? true;
            if (partitionHolds && _account.Holds(cost.Entities, now))
            {
                Take(partition, cost.Entities);
                return null;
            }
            _refused++;
            if (partitionHolds) _refusedByAccount++;
            if (partition is not null) partition.Refused++;
            // Evenly spread and repeatable: the n-th refusal times out when n × share passes a whole number.
            if (Math.Floor(_refused * _timeoutShare + Slack) > Math.Floor((_refused - 1) * _timeoutShare + Slack))
            {
                _timedOut++;
                return new Refusal(500, "OperationTimedOut",
                    "Operation could not be completed within the specified time. (Simulated storage limits.)");
            }
            return new Refusal(503, "ServerBusy", partitionHolds
                ? "The server is busy. (Simulated storage limits: the account's entities per second are spent.)"
                : "The server is busy. (Simulated storage limits: the partition's entities per second are spent.)");
        }
    }

    /// <summary>Charges entities found after the answer: no refusing then, a bucket may go into debt.</summary>
    private void Charge(StoragePartition? partition, int entities)
    {
        lock (_lock)
        {
            var now = Now();
            Take(partition is { } key ? PartitionBucket(key, now) : null, entities);
        }
    }

    private void Take(Bucket? partition, int entities)
    {
        partition?.Take(entities);
        if (partition is null) _unpartitioned += entities;
        _account.Take(entities);
        _entities += entities;
    }

    /// <summary>
    /// Logs one line of what was admitted and refused since the last report: in all, by table, and for the hottest
    /// partitions (entities admitted, requests refused); nothing when nothing happened.
    /// </summary>
    private void Report()
    {
        Totals since;
        double seconds;
        List<(StoragePartition Key, long Entities, long Refused)> partitions = [];
        lock (_lock)
        {
            var now = new Totals(_entities, _unpartitioned, _refused, _refusedByAccount, Now());
            since = new Totals(now.Entities - _reported.Entities, now.Unpartitioned - _reported.Unpartitioned,
                now.Refused - _reported.Refused, now.RefusedByAccount - _reported.RefusedByAccount, now.At);
            // Idle: the next report covers this interval too (partitions changed no more than the totals did).
            if (since.Entities == 0 && since.Refused == 0) return;
            seconds = (now.At - _reported.At).TotalSeconds;
            _reported = now;
            foreach (var (key, bucket) in _partitions)
            {
                var (entities, refused) =
                    (bucket.Charged - bucket.ReportedCharged, bucket.Refused - bucket.ReportedRefused);
                (bucket.ReportedCharged, bucket.ReportedRefused) = (bucket.Charged, bucket.Refused);
                if (entities != 0 || refused != 0) partitions.Add((key, entities, refused));
            }
        }
        static string Counted(long entities, long refused) => refused == 0
            ? entities.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{entities} ({refused} refused)");
        var tables = partitions
            .GroupBy(p => p.Key.Table, StringComparer.Ordinal)
            .Select(t => (Name: t.Key, Entities: t.Sum(p => p.Entities), Refused: t.Sum(p => p.Refused)))
            .Append((Name: "(no partition)", Entities: since.Unpartitioned, Refused: 0L))
            .Where(t => t.Entities != 0 || t.Refused != 0)
            .OrderByDescending(t => t.Entities).ThenBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => $"{t.Name} {Counted(t.Entities, t.Refused)}");
        var hottest = partitions
            .OrderByDescending(p => p.Entities).ThenByDescending(p => p.Refused)
            .ThenBy(p => p.Key.Table, StringComparer.Ordinal).ThenBy(p => p.Key.PartitionKey, StringComparer.Ordinal)
            .Take(ReportedPartitions)
            .Select(p => $"{p.Key.Table}/{p.Key.PartitionKey} {Counted(p.Entities, p.Refused)}");
        _logger!.LogInformation(
            "Storage limits, last {Seconds} s: {Entities} entities admitted, {Refused} requests refused ({ByAccount} " +
            "by the account's rate); by table: {Tables}; hottest of {Partitions} partitions: {Hottest}",
            Math.Round(seconds, 1), since.Entities, since.Refused, since.RefusedByAccount, string.Join(", ", tables),
            partitions.Count, string.Join(", ", hottest));
    }

    public void Dispose() => _reports?.Dispose();

    // One bucket per partition ever seen: the simulator serves tests and benchmarks, whose partitions are bounded.
    private Bucket PartitionBucket(StoragePartition key, DateTimeOffset now)
    {
        if (!_partitions.TryGetValue(key, out var bucket)) _partitions[key] = bucket = new Bucket(_partitionRate, now);
        return bucket;
    }

    // Wall-clock time, which is what a test's ManualClock moves (it leaves GetTimestamp to the real Stopwatch); a step
    // back of the system clock only pauses refilling (see Bucket.Holds).
    private DateTimeOffset Now() => _clock.GetUtcNow();

    private sealed record Refusal(int Status, string Code, string Message);

    /// <summary>The counters a report subtracts the last one's from, and when they were read.</summary>
    private readonly record struct Totals(long Entities, long Unpartitioned, long Refused, long RefusedByAccount,
        DateTimeOffset At);

    /// <summary>Entities a second, refilled continuously, holding one second's worth (at least one entity).</summary>
    private sealed class Bucket(double rate, DateTimeOffset now)
    {
        private readonly double _capacity = Math.Max(rate, 1);
        private double _tokens = Math.Max(rate, 1);
        private DateTimeOffset _updated = now;

        public long Charged { get; private set; }

        /// <summary>Requests to this partition refused, whichever bucket lacked their entities.</summary>
        public long Refused { get; set; }

        // What the last report counted (see StorageLimitsPolicy.Report).
        public long ReportedCharged { get; set; }

        public long ReportedRefused { get; set; }

        /// <summary>
        /// Whether the bucket holds <paramref name="entities"/>; one larger than the whole bucket (a batch of 100
        /// against a scaled-down 50 a second) goes through when the bucket is full, and leaves it in debt.
        /// </summary>
        public bool Holds(int entities, DateTimeOffset now)
        {
            if (now > _updated)
            {
                _tokens = Math.Min(_capacity, _tokens + (now - _updated).TotalSeconds * rate);
                _updated = now;
            }
            return _tokens + Slack >= Math.Min(entities, _capacity);
        }

        public void Take(int entities)
        {
            _tokens -= entities;
            Charged += entities;
        }
    }

    /// <summary>For the start-up log: the effective rates.</summary>
    public static string Describe(StorageLimitsOptions options) => string.Format(CultureInfo.InvariantCulture,
        "{0:0.##} entities/s per partition, {1:0.##} per account (scale {2}), {3:0.##%} of refusals timing out",
        options.PartitionRate, options.AccountRate, options.Scale, options.TimeoutShare);
}
