using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Platform;

namespace Gateway.Notifications;

public sealed record AttachmentResponse(string Name, string ContentType, long Size);

public sealed record NotificationResponse(string Channel, string To, string? Subject, string Text, long ExpressId, string Sent,
    IReadOnlyList<AttachmentResponse> Attachments);

/// <summary>What the local senders kept: what would have been sent, for developers and test organisations.</summary>
public static class NotificationsApi
{
    public const int MaxListed = 200;

    public static void MapNotifications(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").WithTags("Notifications")
            .MapFunction(Functions.NotificationList, ListAsync)
            .RequireAuthorization(Policies.UserAdministratorOrOperator)
            .WithSummary($"The organisation's notifications kept by the local senders, newest first (at most {MaxListed}).")
            .Produces<NotificationResponse[]>().ProducesApiErrors(401, 403, 404);
    }

    private static async Task<IResult> ListAsync(string id, Caller caller, LocalNotificationStore kept, IdentityStore identity, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var organisation = caller.Organisation?.Id == organisationId ? caller.Organisation
            : await identity.GetOrganisationAsync(organisationId, cancellationToken) ?? throw ApiException.NotFound("Organisation not found.");
        return TypedResults.Ok(await kept.ListAsync(organisationId, MaxListed, ApiTime.Zone(organisation.TimeZone), cancellationToken));
    }
}
