using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using NCrontab;

namespace Gateway.Hosting;

/// <summary>A queue function with its queue's name resolved from configuration (a <c>%Setting%</c> expression).</summary>
public sealed record QueueFunction(string Name, string QueueName, QueueFunctionInfo Info);

/// <summary>A timer function with its NCRONTAB schedule (6 fields, seconds first, UTC) parsed by NCrontab, as the host does.</summary>
public sealed record TimerFunction(string Name, CrontabSchedule Schedule, TimerFunctionInfo Info);

/// <summary>
/// The queue and timer functions the local host runs, from the catalog, with what the Functions host would read from
/// app settings resolved from configuration. Checked when built, so a bad definition stops start-up instead of
/// failing at its first message.
/// </summary>
public sealed class FunctionRegistry
{
    /// <summary>Queue names are at most 63 characters; a function's queue must leave room for its "-poison" twin.</summary>
    private const int MaxQueueNameLength = 63 - 7;

    public FunctionRegistry(FunctionCatalog catalog, IConfiguration configuration)
    {
        QueueFunctions = [.. catalog.Queues.Where(f => !Disabled(f, configuration))
            .Select(f => new QueueFunction(f.Name, QueueName(f, configuration), f))];
        TimerFunctions = [.. catalog.Timers.Where(f => !Disabled(f, configuration))
            .Select(f => new TimerFunction(f.Name, ParseSchedule(f, configuration), f))];
    }

    /// <summary>
    /// The host's switch for a function, <c>AzureWebJobs.{Name}.Disabled</c> (or <c>AzureWebJobs__{Name}__Disabled</c>
    /// in the environment): a disabled queue or timer function is neither polled, scheduled nor run by the admin
    /// endpoint. Used to run an instance that serves requests only.
    /// </summary>
    private static bool Disabled(FunctionInfo function, IConfiguration configuration) =>
        (configuration[$"AzureWebJobs.{function.Name}.Disabled"] ?? configuration[$"AzureWebJobs:{function.Name}:Disabled"])
            is { } value && bool.TryParse(value, out var disabled) && disabled;

    public IReadOnlyList<QueueFunction> QueueFunctions { get; }

    public IReadOnlyList<TimerFunction> TimerFunctions { get; }

    public QueueFunction? FindQueue(string name) => QueueFunctions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public TimerFunction? FindTimer(string name) => TimerFunctions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A queue name of the form <c>%Setting%</c> is a binding expression: the host reads it from the app's settings,
    /// and so does this process, so the queue a function listens on is configurable in both.
    /// </summary>
    private static string QueueName(QueueFunctionInfo function, IConfiguration configuration)
    {
        var name = Resolve(function, function.QueueName, configuration);
        return name.Length > MaxQueueNameLength || name.EndsWith("-poison", StringComparison.Ordinal)
            ? throw new InvalidOperationException($"Queue '{name}' of {function.Name} leaves no valid name for its poison queue.")
            : name;
    }

    /// <summary>A schedule may also be a <c>%Setting%</c> expression, as on the host.</summary>
    private static CrontabSchedule ParseSchedule(TimerFunctionInfo function, IConfiguration configuration)
    {
        var schedule = Resolve(function, function.Schedule, configuration);
        return CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
            ?? throw new InvalidOperationException($"{function.Name}'s schedule '{schedule}' is not a 6-field NCRONTAB expression.");
    }

    /// <summary>The value of a binding expression <c>%Setting%</c> (which must be set), or the text itself.</summary>
    private static string Resolve(FunctionInfo function, string text, IConfiguration configuration) =>
        text is ['%', .. var setting, '%']
            ? configuration[setting] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"{function.Name} reads the setting {setting}, which is not set.")
            : text;
}

/// <summary>
/// Runs queue and timer functions locally, the way the worker runs them under the host: the function's class made
/// from a fresh DI scope (as the worker's activator does) and its method called with its trigger's data. Each run
/// has a log scope naming the function and invocation; a timer never runs twice at once in this process, as the
/// host's singleton timer lock sees to across instances.
/// </summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _timerLocks = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Runs the queue function for <paramref name="message"/>, whose body is <paramref name="text"/>.</summary>
    public Task RunQueueAsync(QueueFunction function, QueueMessage message, string text, CancellationToken cancellationToken) =>
        RunAsync(function.Info, message.MessageId, FunctionArguments.ForQueue(function.Info, message, text, cancellationToken));

    /// <summary>Runs the timer now unless a run of it is already in progress; returns false when skipped.</summary>
    public Task<bool> TryRunTimerAsync(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken) =>
        TryStartTimer(function, timer, cancellationToken) is { } run ? RunToTrue(run) : Task.FromResult(false);

    /// <summary>
    /// Starts a run of the timer, or returns null at once when one is in progress. Taking the timer's gate is
    /// synchronous, so of two callers racing for it exactly one gets a run.
    /// </summary>
    public Task? TryStartTimer(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken)
    {
        var gate = _timerLocks.GetOrAdd(function.Name, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0, CancellationToken.None))
        {
            logger.LogWarning("Timer {Function} is still running; this occurrence is skipped", function.Name);
            return null;
        }
        return RunTimerAsync(function, timer, gate, cancellationToken);
    }

    private async Task RunTimerAsync(TimerFunction function, TimerInfo timer, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(function.Info, invocationId: null, FunctionArguments.ForTimer(function.Info, timer, cancellationToken));
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

    private async Task RunAsync(FunctionInfo function, string? invocationId, object?[] arguments)
    {
        invocationId ??= Guid.NewGuid().ToString("N");
        using var scope = logger.BeginScope("Function:{Function} InvocationId:{InvocationId}", function.Name, invocationId);
        var started = Stopwatch.GetTimestamp();
        await using var services = scopes.CreateAsyncScope();
        try
        {
            var instance = ActivatorUtilities.CreateInstance(services.ServiceProvider, function.Method.DeclaringType!);
            await (Task)function.Method.Invoke(instance, arguments)!;
            logger.LogInformation("Executed {Function} in {ElapsedMs:0} ms", function.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "{Function} failed after {ElapsedMs:0} ms", function.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }
}
