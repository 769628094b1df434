using System.Globalization;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Mvc;

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
[Tags("Payment schedules")]
public sealed class SchedulesApi(ScheduleService schedules, ScheduleStore store, CardVault vault, Idempotency idempotency,
    TimeProvider time)
{
    [Function(nameof(ScheduleCreate)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Schedule charges of a stored card (guid): schedules[n][interval|amount|start_date|count], optional " +
        "merchant_reference.")]
    [AcceptsForm(typeof(ScheduleForm)), AcceptsIdempotencyKey, ProducesResponseType<List<ScheduleView>>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public Task<IResult> ScheduleCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/payment-schedule")] HttpRequest request) =>
        SaveAsync(request, routeGuid: null);

    [Function(nameof(ScheduleReplace)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Replace a card's unprocessed schedules with new ones (charges already made stay).")]
    [AcceptsForm(typeof(ScheduleForm)), AcceptsIdempotencyKey, ProducesResponseType<List<ScheduleView>>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public Task<IResult> ScheduleReplace(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/payment-schedule/{guid}")] HttpRequest request,
        string guid) =>
        SaveAsync(request, guid);

    /// <remarks>Saving moves no money yet, but it runs to its end like the payment requests (see PaymentsApi).</remarks>
    private async Task<IResult> SaveAsync(HttpRequest request, string? routeGuid)
    {
        var cancellationToken = CancellationToken.None;
        var form = await RequestForm.ReadAsync(request);
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        var bodyGuid = form.Root.Text("guid", 64);
        if (routeGuid is not null && bodyGuid is not null && !string.Equals(bodyGuid, routeGuid, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest("guid", "must match the card token in the URL (or be left out).");
        }
        var guidText = routeGuid ?? bodyGuid ?? throw ApiException.BadRequest("guid", "is required: the guid of a stored card token.");
        var guid = ParseGuid(guidText, routeGuid is null ? UnknownCardField() : Cards.CardTokens.CardNotFound());
        var reference = form.Root.Text("merchant_reference", PaymentFields.MaxReferenceLength);
        var today = ScheduleCalendar.Today(organisation.Now(time), ApiTime.Zone(organisation.TimeZone));
        var requests = ScheduleRequest.ReadAll(form.Root, today);
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form,
            scope => schedules.SaveAsync(caller, organisation, guid, reference, requests, replace: routeGuid is not null, scope,
                cancellationToken), cancellationToken);
    }

    /// <summary>A guid in the body that names no card is a bad field (400); in the URL, a resource not found (404).</summary>
    public static ApiException UnknownCardField() => ApiException.BadRequest("guid", "does not name a stored card token.");

    [Function(nameof(ScheduleView)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("A card's schedules, each with its upcoming charge dates and past occurrences (with their " +
        "transaction ids).")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<List<ScheduleView>>> ScheduleView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/payment-schedule/{guid}")] HttpRequest request,
        string guid, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var cardGuid = ParseGuid(guid, Cards.CardTokens.CardNotFound());
        var shown = (await store.ListAsync(organisation.Id, cardGuid, cancellationToken))
            .Where(s => ScheduleStates.IsShown(s.State)).ToList();
        // Stopped schedules of a deleted card stay viewable; a guid with neither card nor schedules is unknown.
        if (shown.Count == 0 && await vault.GetAsync(organisation.Id, cardGuid, cancellationToken) is null)
        {
            throw Cards.CardTokens.CardNotFound();
        }
        var views = new List<ScheduleView>();
        foreach (var s in shown)
        {
            var occurrences = await store.OccurrencesAsync(organisation.Id, s.Id, cancellationToken);
            var upcoming = s.State == ScheduleStates.Active
                ? Enumerable.Range(s.Next, s.Count - s.Next).Select(i => ScheduleCalendar.Show(s.DateOf(i))).ToList()
                : [];
            views.Add(Schedules.ScheduleView.From(s, upcoming,
                [.. occurrences.Select(o => new OccurrenceView(ScheduleCalendar.Show(o.Date), o.TransactionId, o.Status, o.Reason))]));
        }
        return TypedResults.Ok(views);
    }

    [Function(nameof(ScheduleDeleteForCard)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Delete all unprocessed schedules of a card."), ApiErrors(401, 403, 404)]
    public async Task<Ok<DeletedResponse>> ScheduleDeleteForCard(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/payment-schedule/{guid}")] HttpRequest request,
        string guid, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var cardGuid = ParseGuid(guid, Cards.CardTokens.CardNotFound());
        var reference = await schedules.DeleteForCardAsync(organisation, cardGuid, cancellationToken);
        return TypedResults.Ok(new DeletedResponse(true, $"Payment schedules successfully deleted with reference {reference}"));
    }

    [Function(nameof(ScheduleDelete)), Authorize(Policy = Policies.PaymentUser)]
    [RequiresService(Services.PayPerToken)]
    [EndpointSummary("Delete one schedule's unprocessed charges by its id."), ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<DeletedResponse>> ScheduleDelete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/payment-schedule/id/{id:long}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var scheduleId = Ids.TryParse(id, out var parsed) ? parsed : throw ScheduleService.ScheduleNotFound();
        await schedules.DeleteAsync(organisation, scheduleId, cancellationToken);
        return TypedResults.Ok(new DeletedResponse(true,
            string.Create(CultureInfo.InvariantCulture, $"Payment schedule ID {scheduleId} successfully deleted")));
    }

    /// <summary>
    /// Schedules whose start date lies within from_date..to_date (both included), in id order, a page at a time
    /// (see <see cref="Paging"/>).
    /// </summary>
    [Function(nameof(ScheduleOrganisationList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("An organisation's schedules, optionally those starting within from_date..to_date (dd-mm-yyyy); " +
        "limit, page_token.")]
    [ApiErrors(400, 401, 403, 404)]
    public async Task<Ok<ScheduleView[]>> ScheduleOrganisationList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/payment-schedule/{id:long}/organisation")]
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var organisationId = request.Caller().ScopeOrganisation(id);
        var from = Day(request, "from_date");
        var to = Day(request, "to_date");
        if (from > to) throw ApiException.BadRequest("from_date", "must not be after to_date.");
        var paging = Paging.Read(request);
        return TypedResults.Ok(await paging.TakeAsync(request.HttpContext,
            store.ShownAsync(organisationId, paging.AfterId, from, to, cancellationToken)
                .Select(s => Schedules.ScheduleView.From(s, null, null)), v => v.Id));
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
