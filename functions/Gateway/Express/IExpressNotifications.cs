namespace Gateway.Express;

/// <summary>
/// Sends a new express link to its payer (by SMS or e-mail). The express feature owns this interface so that it
/// stays below the notifications feature, which implements it with its queue.
/// </summary>
public interface IExpressNotifications
{
    /// <summary>Queues the link's notification; it must not be sent before the link's create commits.</summary>
    Task EnqueueAsync(long organisationId, long expressId, CancellationToken cancellationToken);
}
