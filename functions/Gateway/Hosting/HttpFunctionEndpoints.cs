using System.Reflection;
using Gateway.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Gateway.Hosting;

/// <summary>
/// The HTTP functions as ASP.NET Core endpoints, built from their <c>[Function]</c> methods: the local host routes to
/// them, and the OpenAPI description is generated from them. Each endpoint binds the method's parameters as the
/// worker does (the request, route values by name, the request's cancellation), creates the function's class per
/// request from the request's services, as the worker's activator does, and runs it inside
/// <see cref="HttpFunctionPipeline"/>. Its metadata comes from the method and its class: the function's name (the
/// operation id), tags, summary, authorization, bodies, responses (a typed result describes itself) and errors.
/// <para>
/// Routing sees less than the description (<paramref name="forRouting"/>): like the Functions host, it matches a
/// request by path and method only. The accepted content types and the <c>[Authorize]</c> policy stay out of its
/// metadata, so the function's own checks answer (415, and 401/403 inside <see cref="HttpFunctionPipeline"/>) rather
/// than ASP.NET Core's matcher and authorization middleware, which the worker does not have.
/// </para>
/// </summary>
public sealed class HttpFunctionEndpoints(FunctionCatalog catalog, IServiceProvider services, bool forRouting)
    : EndpointDataSource
{
    private readonly Lazy<IReadOnlyList<Endpoint>> _endpoints =
        new(() => [.. catalog.Http.Select(f => Build(f, services, forRouting))]);

    public override IReadOnlyList<Endpoint> Endpoints => _endpoints.Value;

    public override IChangeToken GetChangeToken() => NullChangeToken.Singleton;

    private static Endpoint Build(HttpFunctionInfo function, IServiceProvider services, bool forRouting)
    {
        var pattern = RoutePatternFactory.Parse("/" + function.Route);
        // The catch-all loses to every other route, as on the Functions host.
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, pattern, function.IsCatchAll ? int.MaxValue : 0)
        {
            DisplayName = function.Name,
        };
        var method = function.Method;
        if (forRouting)
        {
            // Routing needs only the pattern and the methods, and the local host calls the function as the worker
            // does (FunctionArguments). RequestDelegateFactory, which compiles a delegate per function (about 260 ms
            // for all of them at start-up), serves only the description, whose metadata it infers.
            var invoke = FunctionArguments.HttpInvoker(function);
            builder.RequestDelegate = http => RouteAsync(http, method, invoke);
        }
        else
        {
            builder.RequestDelegate = CreateHandler(method, pattern, services, builder);
        }

        var metadata = builder.Metadata;
        metadata.Add(method);
        metadata.Add(function);
        metadata.Add(new EndpointNameMetadata(function.Name));
        metadata.Add(new HttpMethodMetadata(function.Methods));
        foreach (var attribute in method.DeclaringType!.GetCustomAttributes().Concat(method.GetCustomAttributes()))
        {
            if (forRouting && attribute is IAcceptsMetadata or IAuthorizeData or IAllowAnonymous) continue;
            metadata.Add(attribute);
            if (attribute is IErrorResponses errors) foreach (var response in errors.Responses) metadata.Add(response);
        }
        return builder.Build();
    }

    /// <summary>The local host's call of a routed function; the pipeline writes the answer itself.</summary>
    private static async Task RouteAsync(HttpContext http, MethodInfo method, Func<HttpContext, Task<object?>> invoke)
    {
        var pipeline = http.RequestServices.GetRequiredService<HttpFunctionPipeline>();
        await pipeline.RunAsync(http, method, () => invoke(http));
    }

    /// <summary>
    /// The function's request delegate as RequestDelegateFactory makes it, run inside
    /// <see cref="HttpFunctionPipeline"/>; what it infers about the function (parameters, responses) goes into
    /// <paramref name="builder"/>'s metadata, for the description.
    /// </summary>
    private static RequestDelegate CreateHandler(MethodInfo method, RoutePattern pattern, IServiceProvider services,
        EndpointBuilder builder)
    {
        var options = new RequestDelegateFactoryOptions
        {
            ServiceProvider = services,
            RouteParameterNames = [.. pattern.Parameters.Select(p => p.Name)],
            EndpointBuilder = builder,
        };
        builder.FilterFactories.Add((_, next) => async invocation =>
            await invocation.HttpContext.RequestServices.GetRequiredService<HttpFunctionPipeline>()
                .RunAsync(invocation.HttpContext, method, () => next(invocation).AsTask()));
        var inferred = RequestDelegateFactory.InferMetadata(method, options);
        return RequestDelegateFactory.Create(method,
            http => ActivatorUtilities.CreateInstance(http.RequestServices, method.DeclaringType!), options, inferred)
            .RequestDelegate;
    }
}
