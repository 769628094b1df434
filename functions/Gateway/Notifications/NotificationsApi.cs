using System.Text.Json;
using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Storage;

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

    private static async Task<IResult> ListAsync(string id, Caller caller, GatewayTables tables, IdentityStore identity, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var organisation = caller.Organisation?.Id == organisationId ? caller.Organisation
            : await identity.GetOrganisationAsync(organisationId, cancellationToken) ?? throw ApiException.NotFound("Organisation not found.");
        var zone = ApiTime.Zone(organisation.TimeZone);
        var rows = new List<TableEntity>();
        await foreach (var e in tables.Notifications.QueryAsync(new TableQuery(TableFilter.PartitionKeyEquals(PaymentRows.Partition(organisationId))), cancellationToken))
        {
            rows.Add(e);
        }
        return TypedResults.Ok(rows.OrderByDescending(e => e.RowKey, StringComparer.Ordinal).Take(MaxListed).Select(e => new NotificationResponse(
            e.GetString("Channel")!, e.GetString("To")!, e.GetString("Subject"), e.GetString("Text")!, e.GetInt64("ExpressId") ?? 0,
            ApiTime.Show(e.GetDateTimeOffset("Sent")!.Value, zone),
            JsonSerializer.Deserialize<AttachmentResponse[]>(e.GetString("Attachments") ?? "[]", ApiJson.Options)!)).ToArray());
    }
}
