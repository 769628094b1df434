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

    public static void UseApiErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Errors");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is no one to answer.
            }
            catch (Exception error) when (!context.Response.HasStarted)
            {
                var (status, message) = error switch
                {
                    ApiException api => (api.Status, api.Message),
                    // Storage that does not answer within its deadline: the request may be retried once it is back.
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
                context.Response.Clear();
                if (status == StatusCodes.Status503ServiceUnavailable)
                {
                    context.Response.Headers.RetryAfter = ((int)StorageFaults.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }
                await WriteAsync(context, status, message);
            }
        });

        // Routing misses (404, and 405 when the path exists for other methods) and bare status results.
        app.UseStatusCodePages(context =>
        {
            var response = context.HttpContext.Response;
            var message = response.StatusCode switch
            {
                404 => "Page not found.",
                405 => $"Method Not Allowed. This URL can only handle the following request methods: {response.Headers.Allow}.",
                // Routing refuses a body type the endpoint does not declare before any of our code runs.
                415 => "Send the body as application/x-www-form-urlencoded or application/json.",
                _ => "",
            };
            return WriteAsync(context.HttpContext, response.StatusCode, message);
        });
    }
}
