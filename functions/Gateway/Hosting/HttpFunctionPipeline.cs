using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Gateway.Api;
using Gateway.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Hosting;

/// <summary>
/// What every HTTP function gets around it, written once and run by both hosts (the worker middleware under the
/// Functions host, an endpoint filter in the local host): a request id, a log scope and one summary line per request,
/// the function's declared authorization, and every failure turned into the API's error object.
/// </summary>
public sealed partial class HttpFunctionPipeline(IAuthorizationService authorization, IAuthorizationPolicyProvider policies, ILoggerFactory loggers)
{
    public const string RequestIdHeader = "X-Request-Id";
    private const string StartedKey = "Gateway.RequestStarted";

    private readonly ILogger _requests = loggers.CreateLogger("Gateway.Requests");
    private readonly ILogger _errors = loggers.CreateLogger("Gateway.Errors");

    /// <summary>
    /// Runs <paramref name="invoke"/> (the function) for <paramref name="function"/>'s request and executes its answer,
    /// or the one that answers instead (a refused caller, a failure), inside the request's log scope, so that what the
    /// answer logs carries the request id too. Returns an empty result for the host to execute.
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext http, MethodInfo function, Func<Task<object?>> invoke)
    {
        Start(http);
        using var scope = _requests.BeginScope("RequestId:{RequestId}", http.TraceIdentifier);
        var answer = await AnswerAsync(http, function, invoke);
        try
        {
            await answer.ExecuteAsync(http);
        }
        catch (Exception error) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            // Writing the answer failed before any of it was sent (e.g. its body would not serialize).
            await ErrorHandling.ResultFor(http, error, _errors).ExecuteAsync(http);
        }
        return Results.Empty;
    }

    private async Task<IResult> AnswerAsync(HttpContext http, MethodInfo function, Func<Task<object?>> invoke)
    {
        try
        {
            return await AuthorizeAsync(http, function) ?? (IResult)(await invoke())!;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
            return Results.Empty;
        }
        catch (Exception error)
        {
            return ErrorHandling.ResultFor(http, error, _errors);
        }
    }

    /// <summary>
    /// Gives the request its id (the caller's <c>X-Request-Id</c> when it is a sane token, else a new one), echoed on
    /// the response, and logs one line when it completes: method, path, status and duration, never query strings,
    /// headers or bodies (they can hold passwords, tokens and card data). Once per request, whoever calls first.
    /// </summary>
    public void Start(HttpContext http)
    {
        if (!http.Items.TryAdd(StartedKey, true)) return;
        var incoming = http.Request.Headers[RequestIdHeader].ToString();
        var requestId = SafeId().IsMatch(incoming) ? incoming : Guid.NewGuid().ToString("N");
        http.TraceIdentifier = requestId;
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[RequestIdHeader] = requestId;
            return Task.CompletedTask;
        });
        var started = Stopwatch.GetTimestamp();
        http.Response.OnCompleted(() =>
        {
            using var scope = _requests.BeginScope("RequestId:{RequestId}", requestId);
            _requests.LogInformation("HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms",
                http.Request.Method, Loggable(http.Request.Path), http.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The function's <c>[Authorize]</c> policy, evaluated with the gateway's one authentication scheme: null when the
    /// caller may go on, else the challenge (401, or 429 while a username is throttled) or the refusal (403). Functions
    /// marked <c>[AllowAnonymous]</c> never read credentials, so they cost no password hash.
    /// </summary>
    private async Task<IResult?> AuthorizeAsync(HttpContext http, MethodInfo function)
    {
        if (function.GetCustomAttribute<AuthorizeAttribute>() is not { } required) return null;
        var authenticated = await http.AuthenticateAsync(GatewayAuthentication.SchemeName);
        if (authenticated.Succeeded) http.User = authenticated.Principal;
        var policy = required.Policy is { } name ? await policies.GetPolicyAsync(name) : await policies.GetDefaultPolicyAsync();
        if ((await authorization.AuthorizeAsync(http.User, resource: null, policy!)).Succeeded)
        {
            // An agent uses only the services activated for it.
            return function.GetCustomAttribute<RequiresServiceAttribute>() is { } service
                && http.Features.Get<Caller>() is { } caller && service.Refusal(caller) is { } refusal
                ? new ErrorHandling.ErrorResult(StatusCodes.Status403Forbidden, refusal)
                : null;
        }
        return authenticated.Succeeded
            ? Results.Forbid(authenticationSchemes: [GatewayAuthentication.SchemeName])
            : Results.Challenge(authenticationSchemes: [GatewayAuthentication.SchemeName]);
    }

    /// <summary>An express link's path is itself a bearer credential (it pays), so its code is never logged.</summary>
    private static string? Loggable(PathString path) =>
        path.StartsWithSegments("/u", StringComparison.OrdinalIgnoreCase) ? "/u/{code}" : path.Value;

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,128}$")]
    private static partial Regex SafeId();
}
