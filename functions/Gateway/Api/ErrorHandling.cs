using System.Globalization;
using System.Text.Json.Serialization;
using Gateway.Platform;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Api;

/// <summary>
/// The v1 error object, exactly as the API documents it:
/// <c>{"name": "Unauthorized", "message": "", "code": 0, "status": 401, "type": "yii\\web\\UnauthorizedHttpException"}</c>.
/// <c>type</c> keeps the class names merchants already match on; <c>code</c> stays 0 as documented.
/// </summary>
public sealed record ApiError(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("type")] string Type)
{
    public static ApiError For(int status, string message) =>
        new(ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error", message, 0, status, TypeFor(status));

    private static string TypeFor(int status) => status switch
    {
        400 => @"yii\web\BadRequestHttpException",
        401 => @"yii\web\UnauthorizedHttpException",
        403 => @"yii\web\ForbiddenHttpException",
        404 => @"yii\web\NotFoundHttpException",
        405 => @"yii\web\MethodNotAllowedHttpException",
        409 => @"yii\web\ConflictHttpException",
        415 => @"yii\web\UnsupportedMediaTypeHttpException",
        422 => @"yii\web\UnprocessableEntityHttpException",
        429 => @"yii\web\TooManyRequestsHttpException",
        503 => @"yii\web\ServiceUnavailableHttpException",
        >= 500 => @"yii\web\ServerErrorHttpException",
        _ => @"yii\web\HttpException",
    };
}

/// <summary>Turns every failure into the error object: thrown <see cref="ApiException"/>s, framework errors and routing misses.</summary>
public static class ErrorHandling
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(ApiError.For(status, message), ApiJson.Options);
    }

    /// <summary>
    /// The answer to a request that failed with <paramref name="error"/>: the error object with the failure's status.
    /// Storage that does not answer within its deadline is a 503 with Retry-After (the request may be retried once
    /// it is back); anything unexpected is a 500, logged with its stack.
    /// </summary>
    public static IResult ResultFor(HttpContext context, Exception error, ILogger logger)
    {
        var (status, message) = error switch
        {
            ApiException api => (api.Status, api.Message),
            _ when StorageFaults.IsUnavailable(error) => (StatusCodes.Status503ServiceUnavailable,
                $"The service is briefly unavailable; retry in a few seconds. Quote request id {context.TraceIdentifier} to support if it persists."),
            // Kestrel's own request limits and malformed requests (e.g. MaxRequestBodySize, bad chunking).
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is too large." : "The request could not be read."),
            _ => (StatusCodes.Status500InternalServerError,
                $"An internal error occurred. Quote request id {context.TraceIdentifier} to support."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("Storage did not answer: {Reason}", StorageFaults.Describe(error));
        }
        else if (status >= 500)
        {
            logger.LogError(error, "Unhandled error");
        }
        return new ErrorResult(status, message);
    }

    /// <summary>The message for a bare status answer (a routing miss of the local host, or a status result).</summary>
    public static string MessageFor(HttpResponse response) => response.StatusCode switch
    {
        404 => "Page not found.",
        405 => $"Method Not Allowed. This URL can only handle the following request methods: {response.Headers.Allow}.",
        _ => "",
    };

    /// <summary>
    /// The error object with its status; 503s also say when to try again, 405s (<paramref name="allow"/>) which
    /// methods the URL has.
    /// </summary>
    public sealed class ErrorResult(int status, string message, string? allow = null) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Clear();
            if (allow is not null) httpContext.Response.Headers.Allow = allow;
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                httpContext.Response.Headers.RetryAfter = ((int)StorageFaults.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
            return WriteAsync(httpContext, status, message);
        }
    }
}
