namespace Gateway.Hosting;

/// <summary>
/// One Azure Function: the unit the Functions host knows about, with its trigger. Defined once in
/// <see cref="Functions"/>; the deployed function.json files and the app's routes are both derived from it.
/// </summary>
public abstract record FunctionDefinition(string Name);

/// <summary>
/// An HTTP-triggered function. The host forwards matching requests unchanged (host.json turns on request
/// forwarding and sets routePrefix to ""), so <see cref="Route"/> is the public path exactly, in ASP.NET route syntax.
/// </summary>
public sealed record HttpFunction(string Name, IReadOnlyList<string> Methods, string Route) : FunctionDefinition(Name)
{
    /// <summary>
    /// The catch-all that forwards paths no other function claims, so the app's own routing answers 404 or 405 in
    /// the API's error shape instead of the host's empty 404. It has no endpoint of its own: a routing miss is the answer.
    /// </summary>
    public bool IsCatchAll => Route.Contains("{*", StringComparison.Ordinal);
}

/// <summary>A queue-triggered function; <see cref="Handler"/> implements <see cref="IQueueFunction"/>.</summary>
public sealed record QueueFunction(string Name, string QueueName, Type Handler) : FunctionDefinition(Name);

/// <summary>A timer-triggered function on a 6-field NCRONTAB schedule in UTC; <see cref="Handler"/> implements <see cref="ITimerFunction"/>.</summary>
public sealed record TimerFunction(string Name, string Schedule, Type Handler) : FunctionDefinition(Name);

/// <summary>A queue message as a handler sees it, whichever way it arrived (host envelope, local poller, admin endpoint).</summary>
public sealed record QueueTrigger(string Body, string? MessageId, long DequeueCount, DateTimeOffset? InsertionTime);

/// <summary>A timer firing. <see cref="IsPastDue"/> is true when it fires later than scheduled (e.g. after downtime).</summary>
public sealed record TimerTrigger(bool IsPastDue);

public interface IQueueFunction
{
    Task RunAsync(QueueTrigger message, CancellationToken cancellationToken);
}

public interface ITimerFunction
{
    Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken);
}
