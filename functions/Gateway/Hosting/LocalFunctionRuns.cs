using Microsoft.Azure.Functions.Worker;
using System.Collections.Concurrent;
using Azure.Storage.Queues.Models;

namespace Gateway.Hosting;

/// <summary>Settings for running without the Functions host.</summary>
public sealed class FunctionsHostingOptions
{
    public const string Section = "Functions";

    /// <summary>The key the local admin endpoint requires in <c>x-functions-key</c>, like the host's master key.</summary>
    public string? AdminKey { get; set; }
}

/// <summary>
/// Runs started through the local admin endpoint. Like the host's admin API they answer 202 at once and run in
/// the background; shutdown waits for them so a run is never cut off half-way by a normal stop.
/// </summary>
public sealed class LocalFunctionRuns(FunctionInvoker invoker) : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Runs the queue function with <paramref name="input"/> as its message, as the host's admin API does: a message
    /// that was never on a queue, on its first delivery.
    /// </summary>
    public void Start(QueueFunction function, string input)
    {
        var message = QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), popReceipt: "", BinaryData.FromString(input),
            dequeueCount: 1, insertedOn: DateTimeOffset.UtcNow);
        Track(invoker.RunQueueAsync(function, message, input, _stopping.Token));
    }

    /// <summary>Starts the timer now; false when a run of it is already in progress.</summary>
    public bool Start(TimerFunction function)
    {
        if (invoker.TryStartTimer(function, new TimerInfo(), _stopping.Token) is not { } run) return false;
        Track(run);
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Lets runs finish within the host's shutdown timeout; only then are they asked to stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(_running.Keys);
        try
        {
            await all.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync();
        }
        catch (Exception)
        {
            // Failed runs were logged by the invoker.
        }
    }

    private void Track(Task run)
    {
        _running.TryAdd(run, 0);
        run.ContinueWith(t =>
        {
            _running.TryRemove(t, out _);
            // The invoker has logged the failure with its stack; observe it so it is not reported again as unobserved.
            _ = t.Exception;
        }, TaskScheduler.Default);
    }
}
