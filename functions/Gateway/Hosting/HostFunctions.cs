using Gateway.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Hosting;

/// <summary>The functions about the app's HTTP surface itself: its OpenAPI description, and the answer to misses.</summary>
public sealed class HostFunctions(FunctionCatalog catalog, OpenApiDescription openApi)
{
    /// <summary>This API's OpenAPI 3.1 description, generated from the HTTP functions themselves.</summary>
    [Function(nameof(OpenApiDocument)), AllowAnonymous, ExcludeFromDescription]
    public async Task<ContentHttpResult> OpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest request) =>
        TypedResults.Text(await openApi.GetJsonAsync(), "application/json");

    /// <summary>
    /// Every request under /api that no other function serves, in the API's error shape: 405 listing the methods the
    /// path has when it has some, else 404. Both hosts route here last (a catch-all loses to every other route).
    /// </summary>
    [Function(nameof(ApiNotFound)), AllowAnonymous, ExcludeFromDescription]
    public IResult ApiNotFound(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "api/{*path}")]
        HttpRequest request)
    {
        var allowed = catalog.MethodsAt(request.Path);
        if (allowed.Count == 0) return new ErrorHandling.ErrorResult(StatusCodes.Status404NotFound, "Page not found.");
        var allow = string.Join(", ", allowed);
        return new ErrorHandling.ErrorResult(StatusCodes.Status405MethodNotAllowed,
            $"Method Not Allowed. This URL can only handle the following request methods: {allow}.", allow);
    }
}
