using System.Reflection;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Hosting;

/// <summary>
/// The parameters a function may take, and the arguments the local host passes. Only kinds that bind the same way
/// under the Functions host and here are allowed: an HTTP function takes the <see cref="HttpRequest"/>, its route
/// values (strings, by name) and a <see cref="CancellationToken"/>; a queue function the message as a string or as
/// the <see cref="QueueMessage"/> (its id, dequeue count and insertion time too); a timer
/// function its <see cref="TimerInfo"/>; any function a <see cref="CancellationToken"/>.
/// </summary>
public static class FunctionArguments
{
    public static void Check(FunctionInfo function)
    {
        foreach (var parameter in function.Method.GetParameters())
        {
            var type = parameter.ParameterType;
            var allowed = type == typeof(CancellationToken) || function switch
            {
                HttpFunctionInfo http => type == typeof(HttpRequest)
                    || (type == typeof(string) && IsRouteValue(http.Route, parameter.Name!)),
                QueueFunctionInfo => (type == typeof(string) || type == typeof(QueueMessage))
                    && parameter.IsDefined(typeof(QueueTriggerAttribute), false),
                TimerFunctionInfo => type == typeof(TimerInfo),
                _ => false,
            };
            if (!allowed)
            {
                throw new InvalidOperationException(
                    $"Function {function.Name}: parameter '{parameter.Name}' ({type.Name}) does not bind the same way " +
                    "under both hosts.");
            }
        }
        var returns = function.Method.ReturnType;
        var answer = returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>)
            ? returns.GetGenericArguments()[0]
            : returns;
        if (function is HttpFunctionInfo && !typeof(IResult).IsAssignableFrom(answer))
        {
            // HttpFunctionPipeline executes the answer itself, inside the request's log scope, under both hosts.
            throw new InvalidOperationException(
                $"HTTP function {function.Name} must return an IResult or a Task of one.");
        }
        if (returns != typeof(Task) && function is not HttpFunctionInfo)
        {
            throw new InvalidOperationException(
                $"Function {function.Name} must return Task: its outcome is success or an exception.");
        }
    }

    /// <summary>
    /// How the local host calls an HTTP function for a request, as the worker does: an instance of its class made
    /// from the request's services, the request, its route values by name and its cancellation. The delegate
    /// returns the function's result; what can be worked out once per function is.
    /// </summary>
    public static Func<HttpContext, Task<object?>> HttpInvoker(HttpFunctionInfo function)
    {
        var method = function.Method;
        var parameters = method.GetParameters();
        var taskResult = method.ReturnType.IsGenericType
            ? method.ReturnType.GetProperty(nameof(Task<object>.Result))
            : null;
        return async http =>
        {
            var instance = ActivatorUtilities.CreateInstance(http.RequestServices, method.DeclaringType!);
            var arguments = new object?[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                var type = parameters[i].ParameterType;
                arguments[i] = type == typeof(HttpRequest) ? http.Request
                    : type == typeof(CancellationToken) ? http.RequestAborted
                    : http.Request.RouteValues[parameters[i].Name!]?.ToString();
            }
            var result = method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, arguments, null);
            if (result is not Task task) return result;
            await task;
            return taskResult?.GetValue(task);
        };
    }

    /// <summary>The arguments of a queue function for one message.</summary>
    public static object?[] ForQueue(QueueFunctionInfo function, QueueMessage message, string text,
        CancellationToken cancellationToken) =>
        [.. function.Method.GetParameters().Select(p =>
            p.ParameterType == typeof(CancellationToken) ? cancellationToken
            : p.ParameterType == typeof(QueueMessage) ? (object)message
            : text)];

    /// <summary>The arguments of a timer function for one firing.</summary>
    public static object?[] ForTimer(TimerFunctionInfo function, TimerInfo timer,
        CancellationToken cancellationToken) =>
        [.. function.Method.GetParameters()
            .Select(p => p.ParameterType == typeof(CancellationToken) ? (object)cancellationToken : timer)];

    private static bool IsRouteValue(string route, string name) =>
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(route).GetParameter(name) is not null;
}
