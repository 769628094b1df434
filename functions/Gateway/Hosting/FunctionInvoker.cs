using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Hosting;

/// <summary>
/// The functions this process serves: <see cref="Functions.All"/> plus any registered in DI (tests add their own).
/// Checked when built, so a bad definition stops start-up instead of failing at its first message.
/// </summary>
public sealed class FunctionRegistry
{
    /// <summary>Queue names are at most 63 characters; a function's queue must leave room for its "-poison" twin.</summary>
    private const int MaxQueueNameLength = 63 - 7;

    private readonly Dictionary<string, FunctionDefinition> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, FunctionDefinition> _declared = new(StringComparer.OrdinalIgnoreCase);

    public FunctionRegistry(IEnumerable<FunctionDefinition> definitions, IConfiguration configuration)
    {
        foreach (var declared in definitions)
        {
            if (!_declared.TryAdd(declared.Name, declared))
            {
                if (ReferenceEquals(_declared[declared.Name], declared)) continue;
                throw new InvalidOperationException($"Two functions are named '{declared.Name}' (names are case-insensitive).");
            }
            var definition = ResolveSettings(declared, configuration);
            if (definition is QueueFunction queue && (queue.QueueName.Length > MaxQueueNameLength || queue.QueueName.EndsWith("-poison", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"Queue '{queue.QueueName}' of {queue.Name} leaves no valid name for its poison queue.");
            }
            if (definition is TimerFunction timer) CronSchedule.Parse(timer.Schedule);
            _byName[definition.Name] = definition;
        }
    }

    /// <summary>
    /// A queue name of the form <c>%Setting%</c> is a binding expression: the host reads it from the app's settings,
    /// and so does this process (local runs), so the queue a function listens on is configurable in both.
    /// </summary>
    public static FunctionDefinition ResolveSettings(FunctionDefinition definition, IConfiguration configuration) => definition switch
    {
        QueueFunction { QueueName: ['%', .. var setting, '%'] } queue => queue with
        {
            QueueName = configuration[setting] is { Length: > 0 } value ? value
                : throw new InvalidOperationException($"{queue.Name} listens on the queue named by the setting {setting}, which is not set."),
        },
        _ => definition,
    };

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

    /// <summary>Runs the timer now unless a run of it is already in progress; returns false when skipped.</summary>
    public Task<bool> TryRunTimerAsync(TimerFunction function, TimerTrigger timer, CancellationToken cancellationToken) =>
        TryStartTimer(function, timer, cancellationToken) is { } run ? RunToTrue(run) : Task.FromResult(false);

    /// <summary>
    /// Starts a run of the timer, or returns null at once when one is in progress. Taking the timer's gate is
    /// synchronous, so of two callers racing for it exactly one gets a run.
    /// </summary>
    public Task? TryStartTimer(TimerFunction function, TimerTrigger timer, CancellationToken cancellationToken)
    {
        var gate = _timerLocks.GetOrAdd(function.Name, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0, CancellationToken.None))
        {
            logger.LogWarning("Timer {Function} is still running; this occurrence is skipped", function.Name);
            return null;
        }
        return RunTimerAsync(function, timer, gate, cancellationToken);
    }

    private async Task RunTimerAsync(TimerFunction function, TimerTrigger timer, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(function.Name, invocationId: null, async services =>
            {
                var handler = (ITimerFunction)services.GetRequiredService(function.Handler);
                await handler.RunAsync(timer, cancellationToken);
            });
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<bool> RunToTrue(Task run)
    {
        await run;
        return true;
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
