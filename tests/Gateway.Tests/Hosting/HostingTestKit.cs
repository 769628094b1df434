using System.Collections.Concurrent;
using Azure.Storage.Queues.Models;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

/// <summary>One run of a test function: which function ran, and what it was given.</summary>
public sealed record FunctionRun(string Function, QueueMessage? Message, TimerInfo? Timer);

/// <summary>
/// What the test handlers did, per app (a singleton in its DI): every run in order, how many runs are in progress
/// at once, and a gate that makes blocking functions wait until the test releases it.
/// </summary>
public sealed class FunctionRecorder
{
    private readonly ConcurrentQueue<FunctionRun> _runs = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private volatile TaskCompletionSource _gate = Open();
    private int _active, _maxActive;

    public IReadOnlyList<FunctionRun> Runs => [.. _runs];
    public int Active => Volatile.Read(ref _active);
    public int MaxActive => Volatile.Read(ref _maxActive);

    public IReadOnlyList<FunctionRun> RunsOf(string function) => [.. _runs.Where(r => r.Function == function)];
    public IReadOnlyList<FunctionRun> WithBody(string body) => [.. _runs.Where(r => r.Message?.Body.ToString() == body)];

    /// <summary>Records a run; returns how many times this message body has now been seen (1 on its first attempt).</summary>
    public int Record(string function, QueueMessage? message = null, TimerInfo? timer = null)
    {
        _runs.Enqueue(new FunctionRun(function, message, timer));
        return message is null ? 0 : _attempts.AddOrUpdate(message.Body.ToString(), 1, (_, n) => n + 1);
    }

    /// <summary>From now on, blocking handlers wait until <see cref="Release"/>.</summary>
    public void Block() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Release() => _gate.TrySetResult();
    public Task Gate => _gate.Task;

    public void Enter()
    {
        var active = Interlocked.Increment(ref _active);
        for (var max = MaxActive; active > max; max = MaxActive)
        {
            if (Interlocked.CompareExchange(ref _maxActive, active, max) == max) break;
        }
    }

    public void Exit() => Interlocked.Decrement(ref _active);

    /// <summary>A blocking function's run: active from start to end, waiting for the gate in between.</summary>
    public async Task BlockAsync(string function, TimerInfo timer, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            Record(function, timer: timer);
            await Gate.WaitAsync(cancellationToken);
        }
        finally
        {
            Exit();
        }
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource();
        open.SetResult();
        return open;
    }
}

/// <summary>Queue functions of the listener tests, each on the queue its setting names.</summary>
public sealed class ListenerFunctions(FunctionRecorder recorder)
{
    [Function("TestDelivers")]
    public Task Delivers([QueueTrigger("%Test:Delivers%")] QueueMessage message)
    {
        recorder.Record("TestDelivers", message);
        return Task.CompletedTask;
    }

    [Function("TestAlwaysFails")]
    public Task AlwaysFails([QueueTrigger("%Test:AlwaysFails%")] QueueMessage message)
    {
        recorder.Record("TestAlwaysFails", message);
        throw new InvalidOperationException("This function always fails.");
    }

    /// <summary>Fails the first attempt at each message body and succeeds on the next.</summary>
    [Function("TestFailsOnce")]
    public Task FailsOnce([QueueTrigger("%Test:FailsOnce%")] QueueMessage message) =>
        recorder.Record("TestFailsOnce", message) == 1
            ? throw new InvalidOperationException("First attempt fails.")
            : Task.CompletedTask;

    /// <summary>Takes its message as a string, the other way a queue trigger binds.</summary>
    [Function("TestUndecodable")]
    public Task Undecodable([QueueTrigger("%Test:Undecodable%")] string message, CancellationToken cancellationToken)
    {
        recorder.Record("TestUndecodable", QueuesModelFactory.QueueMessage("", "", BinaryData.FromString(message), 0));
        return Task.CompletedTask;
    }
}

/// <summary>Functions run through the admin endpoint; their timers never fire by themselves.</summary>
public sealed class AdminFunctions(FunctionRecorder recorder)
{
    [Function("TestAdminTimer")]
    public Task Timer([TimerTrigger(HostingApp.Never)] TimerInfo timer)
    {
        recorder.Record("TestAdminTimer", timer: timer);
        return Task.CompletedTask;
    }

    [Function("TestAdminBlocking")]
    public Task Blocking([TimerTrigger(HostingApp.Never)] TimerInfo timer, CancellationToken cancellationToken) =>
        recorder.BlockAsync("TestAdminBlocking", timer, cancellationToken);

    [Function("TestAdminQueue")]
    public Task Queue([QueueTrigger("%Test:AdminQueue%")] QueueMessage message)
    {
        recorder.Record("TestAdminQueue", message);
        return Task.CompletedTask;
    }
}

/// <summary>The one timer of a <see cref="TimerApp"/>, on the schedule its setting names: one class per behaviour.</summary>
public sealed class RecordingTimer(FunctionRecorder recorder)
{
    [Function(TimerApp.Name)]
    public Task Run([TimerTrigger("%Test:Schedule%")] TimerInfo timer)
    {
        recorder.Record(TimerApp.Name, timer: timer);
        return Task.CompletedTask;
    }
}

public sealed class ThrowingTimer(FunctionRecorder recorder)
{
    [Function(TimerApp.Name)]
    public Task Run([TimerTrigger("%Test:Schedule%")] TimerInfo timer)
    {
        recorder.Record(TimerApp.Name, timer: timer);
        throw new InvalidOperationException("This timer always fails.");
    }
}

public sealed class BlockingTimer(FunctionRecorder recorder)
{
    [Function(TimerApp.Name)]
    public Task Run([TimerTrigger("%Test:Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        recorder.BlockAsync(TimerApp.Name, timer, cancellationToken);
}

/// <summary>
/// The gateway with test functions of its own: its catalog is the gateway's functions (or none of its queue and
/// timer functions) plus the test's function classes, and a recorder.
/// </summary>
public class HostingApp : GatewayApp
{
    public HostingApp() => RunsTimers = true;

    /// <summary>A schedule with no occurrence at all (30 February): the local scheduler never fires it by itself.</summary>
    public const string Never = "0 0 0 30 2 *";

    private readonly List<Type> _functionClasses = [];

    public FunctionRecorder Recorder { get; } = new();

    /// <summary>Drop the production timers and queue functions so a ManualClock's pending timers are exactly the test's.</summary>
    protected bool WithoutProductionTimers { get; set; }

    protected Action<QueueHostOptions>? QueueHost { get; set; }

    public static string UniqueQueue(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>Adds a class's functions; <paramref name="queues"/> sets the queue settings they name.</summary>
    protected void Add<T>(params (string Setting, string Queue)[] queues) => Add(typeof(T), queues);

    protected void Add(Type functions, params (string Setting, string Queue)[] queues)
    {
        _functionClasses.Add(functions);
        foreach (var (setting, queue) in queues) Settings[setting] = queue;
    }

    public string QueueOf(string setting) => Settings[setting]!;

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton(Recorder);
        var production = typeof(FunctionCatalog).Assembly.GetTypes()
            .Where(t => !WithoutProductionTimers || FunctionCatalog.Gateway.All.All(f => f is HttpFunctionInfo || f.Method.DeclaringType != t));
        services.AddSingleton(FunctionCatalog.Load([.. production, .. _functionClasses]));
        if (QueueHost is not null) services.PostConfigure(QueueHost);
    }
}

/// <summary>Locally, polling real Azurite queues with fast host settings: 200 ms polls, instant retry, 3 attempts.</summary>
public sealed class QueueListenerApp : HostingApp
{
    public const int MaxDequeueCount = 3;

    public QueueListenerApp()
    {
        Add<ListenerFunctions>(
            ("Test:Delivers", UniqueQueue("listen-ok")), ("Test:AlwaysFails", UniqueQueue("listen-fail")),
            ("Test:FailsOnce", UniqueQueue("listen-flaky")), ("Test:Undecodable", UniqueQueue("listen-raw")));
        QueueHost = o =>
        {
            o.MaxPollingInterval = TimeSpan.FromMilliseconds(200);
            o.VisibilityTimeout = TimeSpan.Zero;
            o.MaxDequeueCount = MaxDequeueCount;
        };
    }
}

/// <summary>Locally, with functions to run through the admin endpoint; their timers never fire by themselves.</summary>
public sealed class AdminApp : HostingApp
{
    public AdminApp() => Add<AdminFunctions>(("Test:AdminQueue", UniqueQueue("admin")));
}

/// <summary>Locally on a ManualClock, with one timer function of the test's choosing and no production timers.</summary>
public sealed class TimerApp : HostingApp
{
    public const string Name = "TestScheduled";

    public TimerApp(string schedule, Type functions)
    {
        WithoutProductionTimers = true;
        Settings["Test:Schedule"] = schedule;
        Add(functions);
    }
}
