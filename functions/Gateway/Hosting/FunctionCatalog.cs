using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Hosting;

/// <summary>One function of the app, as its <c>[Function]</c> method declares it.</summary>
public abstract record FunctionInfo(string Name, MethodInfo Method)
{
    /// <summary>What the Functions host calls the method: <c>Namespace.Class.Method</c>, as in functions.metadata.</summary>
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";
}

/// <summary>An HTTP-triggered function: its public route (host.json's routePrefix is "") and methods, upper case.</summary>
public sealed record HttpFunctionInfo(string Name, MethodInfo Method, IReadOnlyList<string> Methods, string Route)
    : FunctionInfo(Name, Method)
{
    /// <summary>The catch-all that answers, in the API's error shape, paths and methods no other function serves.</summary>
    public bool IsCatchAll => Route.Contains("{*", StringComparison.Ordinal);
}

/// <summary>A queue-triggered function; <see cref="QueueName"/> may be a <c>%Setting%</c> binding expression.</summary>
public sealed record QueueFunctionInfo(string Name, MethodInfo Method, string QueueName, string? Connection) : FunctionInfo(Name, Method);

/// <summary>A timer-triggered function on a 6-field NCRONTAB schedule in UTC.</summary>
public sealed record TimerFunctionInfo(string Name, MethodInfo Method, string Schedule, bool UseMonitor) : FunctionInfo(Name, Method);

/// <summary>
/// Every function of the app, read from the <c>[Function]</c> attributes: the one list. The Functions SDK writes
/// functions.metadata from the same attributes at build time; the local host serves, polls and schedules from this.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly Dictionary<string, FunctionInfo> _byName;
    private readonly Dictionary<string, FunctionInfo> _byEntryPoint;
    private readonly (RouteMatcher Matcher, IReadOnlyList<string> Methods)[] _routes;

    private FunctionCatalog(IReadOnlyList<FunctionInfo> functions)
    {
        All = functions;
        _byName = functions.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        _byEntryPoint = functions.ToDictionary(f => f.EntryPoint, StringComparer.Ordinal);
        _routes = [.. Http.Where(f => !f.IsCatchAll).Select(f => (new RouteMatcher(f.Route), f.Methods))];
    }

    /// <summary>The gateway's functions.</summary>
    public static FunctionCatalog Gateway { get; } = Load(typeof(FunctionCatalog).Assembly);

    public IReadOnlyList<FunctionInfo> All { get; }

    public IEnumerable<HttpFunctionInfo> Http => All.OfType<HttpFunctionInfo>();

    public IEnumerable<QueueFunctionInfo> Queues => All.OfType<QueueFunctionInfo>();

    public IEnumerable<TimerFunctionInfo> Timers => All.OfType<TimerFunctionInfo>();

    public FunctionInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The function the Functions host invokes by this entry point (its FunctionDefinition.EntryPoint).</summary>
    public FunctionInfo? FindByEntryPoint(string entryPoint) => _byEntryPoint.GetValueOrDefault(entryPoint);

    /// <summary>The methods some function serves at <paramref name="path"/> (none: no function has the path).</summary>
    public IReadOnlyList<string> MethodsAt(PathString path)
    {
        var methods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (matcher, serves) in _routes)
        {
            if (matcher.Matches(path)) methods.UnionWith(serves);
        }
        return [.. methods];
    }

    /// <summary>Reads and checks every <c>[Function]</c> method of <paramref name="assembly"/>.</summary>
    public static FunctionCatalog Load(Assembly assembly) => Load(assembly.GetTypes());

    /// <summary>Reads and checks every <c>[Function]</c> method of <paramref name="types"/>.</summary>
    public static FunctionCatalog Load(IEnumerable<Type> types)
    {
        var functions = new List<FunctionInfo>();
        foreach (var method in types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function) continue;
            functions.Add(Read(function.Name, method));
        }
        var twice = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidOperationException($"Two functions are named '{twice.Key}' (names are case-insensitive).");
        return new FunctionCatalog([.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)]);
    }

    private static FunctionInfo Read(string name, MethodInfo method)
    {
        var triggers = method.GetParameters()
            .Select(p => (Parameter: p, Attribute: p.GetCustomAttributes().FirstOrDefault(a => a is HttpTriggerAttribute or QueueTriggerAttribute or TimerTriggerAttribute)))
            .Where(t => t.Attribute is not null)
            .ToList();
        if (triggers.Count != 1) throw new InvalidOperationException($"Function {name} must have exactly one trigger parameter.");
        FunctionInfo info = triggers[0].Attribute switch
        {
            HttpTriggerAttribute http => new HttpFunctionInfo(name, method,
                [.. (http.Methods ?? []).Select(m => m.ToUpperInvariant())], http.Route ?? name),
            QueueTriggerAttribute queue => new QueueFunctionInfo(name, method, queue.QueueName, queue.Connection),
            TimerTriggerAttribute timer => new TimerFunctionInfo(name, method, timer.Schedule, timer.UseMonitor),
            _ => throw new InvalidOperationException($"Function {name} has an unknown trigger."),
        };
        FunctionArguments.Check(info);
        // Every HTTP function says who may call it, so none is left open by omission.
        if (info is HttpFunctionInfo && method.GetCustomAttribute<AuthorizeAttribute>() is null
            && method.GetCustomAttribute<AllowAnonymousAttribute>() is null)
        {
            throw new InvalidOperationException($"HTTP function {name} must carry [Authorize(...)] or [AllowAnonymous].");
        }
        return info;
    }
}
