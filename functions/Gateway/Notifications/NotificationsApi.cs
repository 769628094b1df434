using Gateway.Identity;
using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Notifications;

public sealed record AttachmentResponse(string Name, string ContentType, long Size);

/// <summary>A kept message: an express payment request (<c>express_id</c>) or a receipt (<c>transaction_id</c>).</summary>
public sealed record NotificationResponse(string Channel, string To, string? Subject, string Text, long? ExpressId,
    long? TransactionId, string Sent,
    IReadOnlyList<AttachmentResponse> Attachments);

/// <summary>What the local senders kept: what would have been sent, for developers and test organisations.</summary>
[Tags("Notifications")]
public sealed class NotificationsApi(LocalNotificationStore kept, IdentityStore identity)
{
    public const int MaxListed = 200;

    [Function(nameof(NotificationList)), Authorize(Policy = Policies.UserAdministratorOrOperator)]
    [EndpointSummary("The organisation's notifications kept by the local senders, newest first (at most 200).")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<NotificationResponse[]>> NotificationList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/notifications")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var organisation = await identity.ScopedOrganisationAsync(request.Caller(), id, cancellationToken);
        var zone = ApiTime.Zone(organisation.TimeZone);
        return TypedResults.Ok(await kept.ListAsync(organisation.Id, MaxListed, zone, cancellationToken));
    }
}
