namespace Gateway.Storage;

/// <summary>
/// A storage response the typed outcomes don't cover (400, 403, 5xx after all retries, ...), or no response at all.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(int status, string? errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status, or 0 when no response arrived (network failure or timeout after all retries).</summary>
    public int Status { get; }

    /// <summary>The service's error code (x-ms-error-code, odata.error code or XML Code) when it sent one.</summary>
    public string? ErrorCode { get; }
}
