using System.Collections.Concurrent;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

/// <summary>One run of a test handler: which handler type ran, and what it was given.</summary>
public sealed record FunctionRun(string Handler, QueueTrigger? Message, TimerTrigger? Timer);

/// <summary>
/// What the test handlers did, per app (a singleton in its DI): every run in order, how many runs are in progress
/// at once, and a gate that makes <see cref="BlockingTimer"/> wait until the test releases it.
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

    public IReadOnlyList<FunctionRun> RunsOf<THandler>() => [.. _runs.Where(r => r.Handler == typeof(THandler).Name)];
    public IReadOnlyList<FunctionRun> WithBody(string body) => [.. _runs.Where(r => r.Message?.Body == body)];

    /// <summary>Records a run; returns how many times this message body has now been seen (1 on its first attempt).</summary>
    public int Record(object handler, QueueTrigger? message = null, TimerTrigger? timer = null)
    {
        _runs.Enqueue(new FunctionRun(handler.GetType().Name, message, timer));
        return message is null ? 0 : _attempts.AddOrUpdate(message.Body, 1, (_, n) => n + 1);
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

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource();
        open.SetResult();
        return open;
    }
}

public sealed class RecordingQueue(FunctionRecorder recorder) : IQueueFunction
{
    public Task RunAsync(QueueTrigger message, CancellationToken cancellationToken)
    {
        recorder.Record(this, message);
        return Task.CompletedTask;
    }
}

/// <summary>A second recording handler, so tests can tell which function a message reached.</summary>
public sealed class OtherQueue(FunctionRecorder recorder) : IQueueFunction
{
    public Task RunAsync(QueueTrigger message, CancellationToken cancellationToken)
    {
        recorder.Record(this, message);
        return Task.CompletedTask;
    }
}

public sealed class ThrowingQueue(FunctionRecorder recorder) : IQueueFunction
{
    public Task RunAsync(QueueTrigger message, CancellationToken cancellationToken)
    {
        recorder.Record(this, message);
        throw new InvalidOperationException("This handler always fails.");
    }
}

/// <summary>Fails the first attempt at each message body and succeeds on the next.</summary>
public sealed class FlakyQueue(FunctionRecorder recorder) : IQueueFunction
{
    public Task RunAsync(QueueTrigger message, CancellationToken cancellationToken) =>
        recorder.Record(this, message) == 1
            ? throw new InvalidOperationException("First attempt fails.")
            : Task.CompletedTask;
}

public sealed class RecordingTimer(FunctionRecorder recorder) : ITimerFunction
{
    public Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        recorder.Record(this, timer: timer);
        return Task.CompletedTask;
    }
}

public sealed class ThrowingTimer(FunctionRecorder recorder) : ITimerFunction
{
    public Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        recorder.Record(this, timer: timer);
        throw new InvalidOperationException("This timer always fails.");
    }
}

/// <summary>Counts as active from start to end, and waits for the recorder's gate in between.</summary>
public sealed class BlockingTimer(FunctionRecorder recorder) : ITimerFunction
{
    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        recorder.Enter();
        try
        {
            recorder.Record(this, timer: timer);
            await recorder.Gate.WaitAsync(cancellationToken);
        }
        finally
        {
            recorder.Exit();
        }
    }
}

/// <summary>The gateway with test functions of its own (picked up by the FunctionRegistry from DI) and a recorder.</summary>
public class HostingApp : GatewayApp
{
    public HostingApp() => RunsTimers = true;

    /// <summary>A schedule with no occurrence at all (30 February): the local scheduler never fires it by itself.</summary>
    public const string Never = "0 0 0 30 2 *";

    private readonly List<FunctionDefinition> _functions = [];

    public FunctionRecorder Recorder { get; } = new();

    /// <summary>Drop the production timers (TokenSweep) and queue functions so a ManualClock's pending timers are exactly the test's.</summary>
    protected bool WithoutProductionTimers { get; set; }

    protected Action<QueueHostOptions>? QueueHost { get; set; }

    public static string UniqueQueue(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    protected T Add<T>(T function) where T : FunctionDefinition
    {
        _functions.Add(function);
        return function;
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton(Recorder);
        if (WithoutProductionTimers)
        {
            // Production queue functions go too: their pollers wait on the clock between polls, which are pending timers as well.
            foreach (var timer in services.Where(d => d.ServiceType == typeof(FunctionDefinition) && d.ImplementationInstance is TimerFunction or QueueFunction).ToList())
            {
                services.Remove(timer);
            }
        }
        foreach (var function in _functions)
        {
            services.AddSingleton<FunctionDefinition>(function);
            var handler = HostingSetup.HandlerType(function)!;
            if (!services.Any(d => d.ServiceType == handler)) services.AddScoped(handler);
        }
        if (QueueHost is not null) services.PostConfigure(QueueHost);
    }
}

/// <summary>The app as the Functions host runs it (FUNCTIONS_CUSTOMHANDLER_PORT set), with only the production functions.</summary>
public sealed class HostModeApp : GatewayApp
{
    public HostModeApp()
    {
        Settings[HostingSetup.CustomHandlerPortVariable] = "7999";
        foreach (var (key, value) in VaultKey) Settings[key] = value;
    }
}

/// <summary>Under the Functions host, with two recording queue functions, a failing one and a timer.</summary>
public sealed class EnvelopeApp : HostingApp
{
    public EnvelopeApp()
    {
        Settings[HostingSetup.CustomHandlerPortVariable] = "7999";
        foreach (var (key, value) in VaultKey) Settings[key] = value;
        QueueA = Add(new QueueFunction("TestQueueA", UniqueQueue("envelope-a"), typeof(RecordingQueue)));
        QueueB = Add(new QueueFunction("TestQueueB", UniqueQueue("envelope-b"), typeof(OtherQueue)));
        Failing = Add(new QueueFunction("TestQueueFailing", UniqueQueue("envelope-f"), typeof(ThrowingQueue)));
        Timer = Add(new TimerFunction("TestTimer", Never, typeof(RecordingTimer)));
    }

    public QueueFunction QueueA { get; }
    public QueueFunction QueueB { get; }
    public QueueFunction Failing { get; }
    public TimerFunction Timer { get; }
}

/// <summary>Locally, polling real Azurite queues with fast host settings: 200 ms polls, instant retry, 3 attempts.</summary>
public sealed class QueueListenerApp : HostingApp
{
    public const int MaxDequeueCount = 3;

    public QueueListenerApp()
    {
        Delivers = Add(new QueueFunction("TestDelivers", UniqueQueue("listen-ok"), typeof(RecordingQueue)));
        AlwaysFails = Add(new QueueFunction("TestAlwaysFails", UniqueQueue("listen-fail"), typeof(ThrowingQueue)));
        FailsOnce = Add(new QueueFunction("TestFailsOnce", UniqueQueue("listen-flaky"), typeof(FlakyQueue)));
        Undecodable = Add(new QueueFunction("TestUndecodable", UniqueQueue("listen-raw"), typeof(OtherQueue)));
        QueueHost = o =>
        {
            o.MaxPollingInterval = TimeSpan.FromMilliseconds(200);
            o.VisibilityTimeout = TimeSpan.Zero;
            o.MaxDequeueCount = MaxDequeueCount;
        };
    }

    public QueueFunction Delivers { get; }
    public QueueFunction AlwaysFails { get; }
    public QueueFunction FailsOnce { get; }
    public QueueFunction Undecodable { get; }
}

/// <summary>Locally, with functions to run through the admin endpoint; their timers never fire by themselves.</summary>
public sealed class AdminApp : HostingApp
{
    public AdminApp()
    {
        Timer = Add(new TimerFunction("TestAdminTimer", Never, typeof(RecordingTimer)));
        Blocking = Add(new TimerFunction("TestAdminBlocking", Never, typeof(BlockingTimer)));
        Queue = Add(new QueueFunction("TestAdminQueue", UniqueQueue("admin"), typeof(RecordingQueue)));
    }

    public TimerFunction Timer { get; }
    public TimerFunction Blocking { get; }
    public QueueFunction Queue { get; }
}

/// <summary>Locally on a ManualClock, with one timer function of the test's choosing and no production timers.</summary>
public sealed class TimerApp : HostingApp
{
    public TimerApp(string schedule, Type handler)
    {
        WithoutProductionTimers = true;
        Function = Add(new TimerFunction("TestScheduled", schedule, handler));
    }

    public TimerFunction Function { get; }
}
