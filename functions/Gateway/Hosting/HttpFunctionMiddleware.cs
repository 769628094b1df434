using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Gateway.Hosting;

/// <summary>
/// Under the Functions host, runs each HTTP function inside <see cref="HttpFunctionPipeline"/>, as the local host's
/// endpoint filter does: the same request id, log line, authorization and error object in both hosts. What the
/// pipeline has answered itself; the invocation's result becomes an empty one for the ASP.NET Core integration.
/// </summary>
public sealed class HttpFunctionMiddleware(FunctionCatalog catalog, HttpFunctionPipeline pipeline) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (catalog.FindByEntryPoint(context.FunctionDefinition.EntryPoint) is not HttpFunctionInfo function
            || context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }
        var result = await pipeline.RunAsync(http, function.Method, async () =>
        {
            await next(context);
            return context.GetInvocationResult().Value;
        });
        context.GetInvocationResult().Value = result;
    }
}
