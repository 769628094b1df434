using System.Collections;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Moq;

namespace Gateway.Tests.Worker;

/// <summary>
/// A <see cref="FunctionContext"/> as the Functions worker builds one for an invocation, mocked: the function's entry
/// point, its items (where the ASP.NET Core integration puts the request's <c>HttpContext</c>) and the invocation's
/// features, including the worker's bindings feature that holds the invocation result.
/// </summary>
internal static class FunctionContexts
{
    /// <summary>The key under which the ASP.NET Core integration stores the request (see GetHttpContext).</summary>
    private const string HttpContextKey = "HttpRequestContext";

    public static Mock<FunctionContext> For(string entryPoint, HttpContext? http, out InvocationResultHolder result)
    {
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.EntryPoint).Returns(entryPoint);
        definition.SetupGet(d => d.Name).Returns(entryPoint[(entryPoint.LastIndexOf('.') + 1)..]);
        var items = new Dictionary<object, object>();
        if (http is not null) items[HttpContextKey] = http;
        result = new InvocationResultHolder();
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.Items).Returns(items);
        context.SetupGet(c => c.Features).Returns(new Features(InvocationResultHolder.FeatureType, result.Feature));
        context.SetupGet(c => c.InstanceServices).Returns(http?.RequestServices!);
        return context;
    }

    /// <summary>
    /// The worker's bindings feature is internal to it, so it is stood in for by a proxy that keeps the one property
    /// the invocation result lives in.
    /// </summary>
    public sealed class InvocationResultHolder
    {
        public static readonly Type FeatureType = typeof(FunctionContext).Assembly
            .GetType("Microsoft.Azure.Functions.Worker.Context.Features.IFunctionBindingsFeature", throwOnError: true)!;

        public InvocationResultHolder()
        {
            Feature = DispatchProxy.Create(FeatureType, typeof(BindingsProxy));
            ((BindingsProxy)Feature).Holder = this;
        }

        public object Feature { get; }
        public object? Value { get; set; }
    }

    public class BindingsProxy : DispatchProxy
    {
        internal InvocationResultHolder Holder { get; set; } = null!;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case "get_InvocationResult": return Holder.Value;
                case "set_InvocationResult": Holder.Value = args![0]; return null;
                default: throw new NotSupportedException($"The test's bindings feature has no {method.Name}.");
            }
        }
    }

    private sealed class Features(Type bindingsType, object bindings) : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = new() { [bindingsType] = bindings };

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var feature) ? (T)feature : default;
        public void Set<T>(T instance) => _features[typeof(T)] = instance!;
        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
