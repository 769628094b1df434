using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Hosting;

/// <summary>The functions this process serves: <see cref="Functions.All"/> plus any registered in DI (tests add their own).</summary>
public sealed class FunctionRegistry(IEnumerable<FunctionDefinition> definitions)
{
    private readonly Dictionary<string, FunctionDefinition> _byName =
        definitions.DistinctBy(d => d.Name).ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);

    public IEnumerable<QueueFunction> QueueFunctions => _byName.Values.OfType<QueueFunction>();
    public IEnumerable<TimerFunction> TimerFunctions => _byName.Values.OfType<TimerFunction>();
    public FunctionDefinition? Find(string name) => _byName.GetValueOrDefault(name);
}

/// <summary>
/// Runs queue and timer handlers the same way for every trigger source: the Functions host's invocation
/// envelope, the local poller and scheduler, and the local admin endpoint. Each run gets its own DI scope and a
/// log scope naming the function and invocation; a timer never runs twice at once in this process.
/// </summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _timerLocks = new(StringComparer.OrdinalIgnoreCase);

    public async Task RunQueueAsync(QueueFunction function, QueueTrigger message, CancellationToken cancellationToken)
    {
        await RunAsync(function.Name, message.MessageId, async services =>
        {
            var handler = (IQueueFunction)services.GetRequiredService(function.Handler);
            await handler.RunAsync(message, cancellationToken);
        });
    }

    public bool IsTimerRunning(string name) => _timerLocks.TryGetValue(name, out var gate) && gate.CurrentCount == 0;

    /// <summary>Runs the timer now unless a run of it is already in progress; returns false when skipped.</summary>
    public async Task<bool> TryRunTimerAsync(TimerFunction function, TimerTrigger timer, CancellationToken cancellationToken)
    {
        var gate = _timerLocks.GetOrAdd(function.Name, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            logger.LogWarning("Timer {Function} is still running; this occurrence is skipped", function.Name);
            return false;
        }
        try
        {
            await RunAsync(function.Name, invocationId: null, async services =>
            {
                var handler = (ITimerFunction)services.GetRequiredService(function.Handler);
                await handler.RunAsync(timer, cancellationToken);
            });
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RunAsync(string functionName, string? invocationId, Func<IServiceProvider, Task> run)
    {
        invocationId ??= Guid.NewGuid().ToString("N");
        using var scope = logger.BeginScope("Function:{Function} InvocationId:{InvocationId}", functionName, invocationId);
        var started = Stopwatch.GetTimestamp();
        await using var services = scopes.CreateAsyncScope();
        try
        {
            await run(services.ServiceProvider);
            logger.LogInformation("Executed {Function} in {ElapsedMs:0} ms", functionName, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "{Function} failed after {ElapsedMs:0} ms", functionName, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }
}
