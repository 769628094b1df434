using System.Collections.Concurrent;
using Azure.Core;
using Gateway.Payments;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Schedules;

/// <summary>Thrown where a runner's process "dies": nothing after it in that run happens.</summary>
public sealed class SimulatedCrash(string where) : Exception($"Simulated crash {where}");

/// <summary>
/// What the acquirer really did, shared by every runner app: one charge per idempotency key, as a real acquirer
/// keeps it (a repeated key gets the first answer). Counting keys is counting money taken.
/// </summary>
public sealed class AcquirerLedger
{
    private readonly ConcurrentDictionary<string, Lazy<(AcquirerResult Result, long Amount)>> _charges = new(StringComparer.Ordinal);
    private readonly SimulatedAcquirer _simulator = new();
    private int _calls;

    public int Calls => _calls;

    public IReadOnlyDictionary<string, long> Charged => _charges.ToDictionary(c => c.Key, c => c.Value.Value.Amount);

    public AcquirerResult Charge(CardCharge charge)
    {
        Interlocked.Increment(ref _calls);
        return _charges.GetOrAdd(charge.IdempotencyKey, _ => new(() =>
            (_simulator.ChargeCardAsync(charge, CancellationToken.None).Result, charge.AmountMinor))).Value.Result;
    }
}

/// <summary>Which failures to inject, how often, and how many of each happened.</summary>
public sealed class FaultPlan
{
    private readonly ConcurrentDictionary<string, int> _injected = new(StringComparer.Ordinal);

    public volatile bool Enabled;
    public double Rate { get; init; } = 0.04;

    public IReadOnlyDictionary<string, int> Injected => _injected;

    /// <summary>True (and counted) with the plan's probability while enabled.</summary>
    public bool Strike(string fault)
    {
        if (!Enabled || Random.Shared.NextDouble() >= Rate) return false;
        _injected.AddOrUpdate(fault, 1, (_, n) => n + 1);
        return true;
    }
}

/// <summary>An acquirer for the runner's tests: it charges cards, and nothing else is ever asked of it.</summary>
public abstract class CardOnlyAcquirer : IAcquirer
{
    public abstract string Name { get; }

    public abstract Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken);

    public Task<AcquirerResult> CompleteChallengeAsync(string reference, bool passed, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> CaptureAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> VoidAsync(string reference, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> RefundAsync(string reference, long amountMinor, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<AcquirerResult> ChargeEftAsync(EftCharge charge, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<CardEnquiry> EnquireCardAsync(CardDetails card, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>The live acquirer of a runner app: dies before asking the ledger, or after it took the money.</summary>
public sealed class CrashingAcquirer(AcquirerLedger ledger, FaultPlan faults) : CardOnlyAcquirer
{
    public override string Name => "Ledger";

    public override Task<AcquirerResult> ChargeCardAsync(CardCharge charge, CancellationToken cancellationToken)
    {
        if (faults.Strike("before the acquirer")) throw new SimulatedCrash("before the acquirer was asked");
        var result = ledger.Charge(charge);
        if (faults.Strike("after the acquirer")) throw new SimulatedCrash("after the acquirer took the money");
        return Task.FromResult(result);
    }

}

/// <summary>
/// In the SDK pipeline, in front of Azurite: a write either dies before it is sent (the process crashed there) or
/// lands and loses its answer (the SDK retries and meets its own write); a queue send dies after the commit it follows.
/// </summary>
public sealed class CrashingStorage(FaultPlan faults) : StorageFaultPolicy
{
    protected override StorageFault? Choose(Request request)
    {
        var path = request.Uri.Path;
        var write = request.Method != RequestMethod.Get;
        var kind = path.EndsWith("/messages", StringComparison.Ordinal) ? "queue send" : path.EndsWith("$batch", StringComparison.Ordinal) ? "commit" : "write";
        if (write && faults.Strike($"{kind} crash")) throw new SimulatedCrash($"before a {kind}");
        return write && kind != "queue send" && faults.Strike($"{kind} answer lost") ? StorageFault.LoseAnswer : null;
    }
}
