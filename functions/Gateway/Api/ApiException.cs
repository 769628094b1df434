namespace Gateway.Api;

/// <summary>
/// A failure the client should see, with its HTTP status. Thrown anywhere in request handling and written once,
/// in the API's error shape, by <see cref="ErrorHandling"/>. Messages are for merchants: they name the offending
/// field and never echo secrets.
/// </summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>400, naming the field in the request's own notation (e.g. <c>User[username]</c>).</summary>
    public static ApiException BadRequest(string field, string problem) => new(StatusCodes.Status400BadRequest, $"{field}: {problem}");
    public static ApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
    public static ApiException Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message);
    public static ApiException Forbidden(string message) => new(StatusCodes.Status403Forbidden, message);
    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);
    public static ApiException Conflict(string message) => new(StatusCodes.Status409Conflict, message);
    public static ApiException TooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {limit} bytes.");
    public static ApiException UnsupportedMediaType(string message) => new(StatusCodes.Status415UnsupportedMediaType, message);
}
