namespace Gateway.Identity;

/// <summary>
/// The service (licensed per user) a payment function belongs to: an agent may call it only with that service
/// activated; administrators, operators and API keys act for the organisation and need none.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresServiceAttribute(int serviceId) : Attribute
{
    public int ServiceId { get; } = serviceId;

    /// <summary>Null when the caller may use the service, else why not (for a 403).</summary>
    public string? Refusal(Caller caller) =>
        !caller.IsAgent || caller.User!.Services.Contains(ServiceId)
            ? null
            : $"This needs the {Services.Find(ServiceId)!.Name} service (serviceId {ServiceId}), which is not " +
              "activated for you; an administrator can activate it.";
}
