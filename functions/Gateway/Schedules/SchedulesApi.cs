using System.Globalization;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Schedules;

/// <summary>A schedule as the documents show it, plus its status and, in a card's view, its upcoming dates and past occurrences.</summary>
public sealed record ScheduleView(
    long Id, string Interval, string Amount, string StartDate, int Count, string Reference, string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Upcoming,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<OccurrenceView>? Occurrences)
{
    public static ScheduleView From(PaymentSchedule s, IReadOnlyList<string>? upcoming, IReadOnlyList<OccurrenceView>? occurrences) =>
        new(s.Id, s.Interval, Money.Format(s.AmountMinor), ScheduleCalendar.Show(s.StartDate), s.Count, s.Reference, s.State, upcoming, occurrences);
}

/// <summary>One past occurrence: its date, the transaction that charged it (or recorded why not) and that charge's outcome.</summary>
public sealed record OccurrenceView(string Date, long TransactionId, string Status, string? Reason);

public sealed record DeletedResponse(bool Success, string Message);

public sealed record ScheduleForm(
    [property: JsonPropertyName("guid")] string Guid,
    [property: JsonPropertyName("merchant_reference")] string? MerchantReference,
    [property: JsonPropertyName("schedules[0][interval]")] string Interval,
    [property: JsonPropertyName("schedules[0][amount]")] string Amount,
    [property: JsonPropertyName("schedules[0][start_date]")] string StartDate,
    [property: JsonPropertyName("schedules[0][count]")] int Count);

/// <summary>
/// Payment schedules of stored cards (the documents' Create/Update/View/Delete Payment schedule). Charges fall due at
/// <see cref="ScheduleOptions.ChargeTime"/> in the organisation's zone and are made by <see cref="PaymentScheduleRunner"/>.
/// </summary>
public static class SchedulesApi
{
    public static void MapSchedules(this IEndpointRouteBuilder app)
    {
        var payers = app.MapGroup("").RequireAuthorization(Policies.PaymentUser).WithTags("Payment schedules");
        payers.MapFunction(Functions.ScheduleCreate, (HttpContext http, RequestForm form, Caller caller, ScheduleService schedules, Idempotency idempotency, TimeProvider time) =>
                SaveAsync(http, form, caller, schedules, idempotency, time, routeGuid: null, CancellationToken.None))
            .WithSummary("Schedule charges of a stored card (guid): schedules[n][interval|amount|start_date|count], optional merchant_reference.")
            .AcceptsForm<ScheduleForm>().AcceptsIdempotencyKey().Produces<List<ScheduleView>>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422);
        payers.MapFunction(Functions.ScheduleReplace, (string guid, HttpContext http, RequestForm form, Caller caller, ScheduleService schedules, Idempotency idempotency, TimeProvider time) =>
                SaveAsync(http, form, caller, schedules, idempotency, time, guid, CancellationToken.None))
            .WithSummary("Replace a card's unprocessed schedules with new ones (charges already made stay).")
            .AcceptsForm<ScheduleForm>().AcceptsIdempotencyKey().Produces<List<ScheduleView>>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415, 422);
        payers.MapFunction(Functions.ScheduleView, ViewAsync)
            .WithSummary("A card's schedules, each with its upcoming charge dates and past occurrences (with their transaction ids).")
            .Produces<List<ScheduleView>>().ProducesApiErrors(401, 403, 404);
        payers.MapFunction(Functions.ScheduleDeleteForCard, DeleteForCardAsync)
            .WithSummary("Delete all unprocessed schedules of a card.")
            .Produces<DeletedResponse>().ProducesApiErrors(401, 403, 404);
        payers.MapFunction(Functions.ScheduleDelete, DeleteAsync)
            .WithSummary("Delete one schedule's unprocessed charges by its id.")
            .Produces<DeletedResponse>().ProducesApiErrors(401, 403, 404, 409);
        app.MapFunction(Functions.ScheduleOrganisationList, ListAsync)
            .RequireAuthorization(Policies.PaymentAdministrator).WithTags("Payment schedules")
            .WithSummary("An organisation's schedules, optionally those starting within from_date..to_date (dd-mm-yyyy); limit, page_token.")
            .Produces<ScheduleView[]>().ProducesApiErrors(400, 401, 403, 404);
    }

    private static async Task<IResult> SaveAsync(HttpContext http, RequestForm form, Caller caller, ScheduleService schedules,
        Idempotency idempotency, TimeProvider time, string? routeGuid, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var bodyGuid = form.Root.Text("guid", 64);
        if (routeGuid is not null && bodyGuid is not null && !string.Equals(bodyGuid, routeGuid, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest("guid", "must match the card token in the URL (or be left out).");
        }
        var guidText = routeGuid ?? bodyGuid ?? throw ApiException.BadRequest("guid", "is required: the guid of a stored card token.");
        var guid = ParseGuid(guidText, routeGuid is null ? UnknownCardField() : Cards.CardTokens.CardNotFound());
        var reference = form.Root.Text("merchant_reference", PaymentFields.MaxReferenceLength);
        var requests = ScheduleRequest.ReadAll(form.Root, ScheduleCalendar.Today(organisation.Now(time), ApiTime.Zone(organisation.TimeZone)));
        return await idempotency.RunAsync(http, organisation.Id, form,
            scope => schedules.SaveAsync(caller, organisation, guid, reference, requests, replace: routeGuid is not null, scope, cancellationToken), cancellationToken);
    }

    /// <summary>A guid in the body that names no card is a bad field (400); in the URL, a resource not found (404).</summary>
    public static ApiException UnknownCardField() => ApiException.BadRequest("guid", "does not name a stored card token.");

    private static async Task<Ok<List<ScheduleView>>> ViewAsync(string guid, Caller caller, ScheduleStore store, Cards.CardVault vault,
        IOptions<ScheduleOptions> options, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var cardGuid = ParseGuid(guid, Cards.CardTokens.CardNotFound());
        var shown = (await store.ListAsync(organisation.Id, cardGuid, cancellationToken)).Where(s => ScheduleStates.IsShown(s.State)).ToList();
        // Stopped schedules of a deleted card stay viewable; a guid with neither card nor schedules is unknown.
        if (shown.Count == 0 && await vault.GetAsync(organisation.Id, cardGuid, cancellationToken) is null) throw Cards.CardTokens.CardNotFound();
        var views = new List<ScheduleView>();
        foreach (var s in shown)
        {
            var occurrences = await store.OccurrencesAsync(organisation.Id, s.Id, cancellationToken);
            var upcoming = s.State == ScheduleStates.Active
                ? Enumerable.Range(s.Next, s.Count - s.Next).Select(i => ScheduleCalendar.Show(s.DateOf(i))).ToList()
                : [];
            views.Add(ScheduleView.From(s, upcoming,
                [.. occurrences.Select(o => new OccurrenceView(ScheduleCalendar.Show(o.Date), o.TransactionId, o.Status, o.Reason))]));
        }
        return TypedResults.Ok(views);
    }

    private static async Task<Ok<DeletedResponse>> DeleteForCardAsync(string guid, Caller caller, ScheduleService schedules, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var reference = await schedules.DeleteForCardAsync(organisation, ParseGuid(guid, Cards.CardTokens.CardNotFound()), cancellationToken);
        return TypedResults.Ok(new DeletedResponse(true, $"Payment schedules successfully deleted with reference {reference}"));
    }

    private static async Task<Ok<DeletedResponse>> DeleteAsync(string id, Caller caller, ScheduleService schedules, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var scheduleId = Ids.TryParse(id, out var parsed) ? parsed : throw ScheduleService.ScheduleNotFound();
        await schedules.DeleteAsync(organisation, scheduleId, cancellationToken);
        return TypedResults.Ok(new DeletedResponse(true, string.Create(CultureInfo.InvariantCulture, $"Payment schedule ID {scheduleId} successfully deleted")));
    }

    /// <summary>Schedules whose start date lies within from_date..to_date (both included), in id order, a page at a time (see <see cref="Paging"/>).</summary>
    private static async Task<Ok<ScheduleView[]>> ListAsync(string id, HttpContext http, Caller caller, ScheduleStore store, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var from = Day(http.Request, "from_date");
        var to = Day(http.Request, "to_date");
        if (from > to) throw ApiException.BadRequest("from_date", "must not be after to_date.");
        var paging = Paging.Read(http.Request);
        return TypedResults.Ok(await paging.TakeAsync(http,
            store.ShownAsync(organisationId, paging.AfterId, from, to, cancellationToken).Select(s => ScheduleView.From(s, null, null)), v => v.Id));
    }

    private static DateOnly? Day(HttpRequest request, string name)
    {
        if (Paging.Query(request, name) is not { } text) return null;
        return DateOnly.TryParseExact(text, ScheduleCalendar.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day : throw ApiException.BadRequest(name, "must be a date as dd-mm-yyyy, e.g. 01-01-2027.");
    }

    /// <summary>Card guids in URLs and bodies: any GUID format; anything else names no card.</summary>
    private static Guid ParseGuid(string text, ApiException otherwise) =>
        text.Length <= 64 && Guid.TryParse(text, out var guid) ? guid : throw otherwise;
}
