using System.Globalization;
using Gateway.Api;
using Gateway.HostedPages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Express;

public sealed record ExpressSmsCreated(long Id, string Recipient);

public sealed record ExpressEmailCreated(long Id, string Link);

public sealed record ExpressCancelled(long Id, string Status);

// Request shapes for the OpenAPI description only; bodies are read through RequestForm.
public sealed record ExpressSmsForm(decimal Amount, string? Reference, string Number, string? ExpiryDate, long? OrganisationId);

public sealed record ExpressEmailForm(decimal Amount, string? Reference, string Email, string? ExpiryDate, long? OrganisationId);

public sealed record ExpressCancelForm(long? Id, string? Reference, long? OrganisationId);

/// <summary>
/// The document's Express sections: pay-by-link by SMS or e-mail, and cancelling a link; plus <c>/u/{code}</c>, where
/// a link leads. <c>organisation_id</c> ("partners only"): platform operators, who manage organisations, act for the
/// organisation it names (and must name one); anyone else may only name their own organisation, any other id being a
/// 404 like every foreign id.
/// </summary>
[Tags("Express")]
public sealed partial class ExpressApi(ExpressService express, Idempotency idempotency, IdentityStore identity,
    OrganisationClock clock)
{
    /// <summary>A link without an expiry_date stays payable this long.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(7);

    public const int MaxLifetimeDays = 180;

    [Function(nameof(ExpressSms)), Authorize(Policy = Policies.PaymentUserOrPartner)]
    [RequiresService(Services.NotifyExpress)]
    [EndpointSummary("Send a payment link by SMS: {id, recipient} (recipient is the link, as documented).")]
    [AcceptsForm(typeof(ExpressSmsForm)), AcceptsIdempotencyKey, ProducesResponseType<ExpressSmsCreated>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public async Task<IResult> ExpressSms(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/express/sms")] HttpRequest request) =>
        await CreateAsync(request, await RequestForm.ReadAsync(request), [], ExpressChannels.Sms);

    /// <summary>Files come only in a multipart body; other bodies are read as on every endpoint.</summary>
    [Function(nameof(ExpressEmail)), Authorize(Policy = Policies.PaymentUserOrPartner)]
    [RequiresService(Services.NotifyExpress)]
    [EndpointSummary("Send a payment link by e-mail: {id, link}. Attach files[] (multipart/form-data; up to 5 " +
        ExpressFileRules.Allowed + " files of 2 MB).")]
    [AcceptsForm(typeof(ExpressEmailForm), "multipart/form-data"), AcceptsIdempotencyKey]
    [ProducesResponseType<ExpressEmailCreated>(200), ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public async Task<IResult> ExpressEmail(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/express/email")] HttpRequest request)
    {
        if (MultipartForm.IsMultipart(request))
        {
            var (multipart, files) = await MultipartForm.ReadAsync(request.HttpContext, request.HttpContext.RequestAborted);
            return await CreateAsync(request, multipart, files, ExpressChannels.Email);
        }
        var form = await RequestForm.ReadAsync(request);
        if (form.Root.Has("files")) throw ApiException.BadRequest("files[]", "attach files in a multipart/form-data body.");
        return await CreateAsync(request, form, [], ExpressChannels.Email);
    }

    /// <remarks>Creating a link sends a message, so it runs to its end like the payment requests (see PaymentsApi).</remarks>
    private async Task<IResult> CreateAsync(HttpRequest http, RequestForm form, IReadOnlyList<ExpressFile> files, string channel)
    {
        var cancellationToken = CancellationToken.None;
        var caller = http.Caller();
        var organisation = await ScopeOrganisationAsync(form.Root, caller, cancellationToken);
        var request = Read(form.Root, channel, organisation, express.Now(organisation)) with { Files = files };
        return await idempotency.RunAsync(http.HttpContext, organisation.Id, form, scope => express.CreateAsync(caller,
            organisation, request, scope, link => channel == ExpressChannels.Sms
                ? StoredResponse.Ok(new ExpressSmsCreated(link.Id, express.LinkUrl(link)))
                : StoredResponse.Ok(new ExpressEmailCreated(link.Id, express.LinkUrl(link))), cancellationToken),
            cancellationToken);
    }

    [Function(nameof(ExpressCancel)), Authorize(Policy = Policies.PaymentUserOrPartner)]
    [RequiresService(Services.NotifyExpress)]
    [EndpointSummary("Cancel an express transaction by id or reference: its link can no longer be paid.")]
    [AcceptsForm(typeof(ExpressCancelForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<ExpressCancelled>> ExpressCancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/express")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = await ScopeOrganisationAsync(form.Root, request.Caller(), cancellationToken);
        var idText = form.Root.TextOrNumber("id", 20);
        var reference = form.Root.Text("reference", PaymentFields.MaxReferenceLength);
        if ((idText is null) == (reference is null)) throw ApiException.BadRequest("id", "give exactly one of id or reference.");
        long? id = idText is null ? null : Ids.TryParse(idText, out var parsed) ? parsed : throw ExpressService.NotFound();
        var cancelled = await express.CancelAsync(organisation.Id, id, reference, cancellationToken);
        return TypedResults.Ok(new ExpressCancelled(cancelled.Id, "deleted"));
    }

    [Function(nameof(ExpressLinkPage)), AllowAnonymous, Tags("Hosted pages")]
    [EndpointSummary("Where an express link leads: 303 to the payment page, or a page saying why it cannot be paid.")]
    [ProducesResponseType(303), ProducesResponseType(typeof(string), 404, "text/html")]
    [ProducesResponseType(typeof(string), 410, "text/html")]
    public Task<IResult> ExpressLinkPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "u/{code}")] HttpRequest request, string code)
    {
        var r = PageRequest.For(request);
        return r.RenderAsync(async () =>
        {
            var (link, key) = await express.OpenAsync(code, r.Aborted) ?? throw ApiException.NotFound("This payment link is not valid.");
            if (link.Status == ExpressStatuses.Cancelled)
            {
                throw new ApiException(StatusCodes.Status410Gone, "This payment link has been cancelled.");
            }
            HostedPayments.RefuseUnpayable(key, await clock.NowAsync(key.OrganisationId, r.Aborted), r.Time.GetUtcNow());
            return new PageRedirect(r.Options.Value.PageUrl(key));
        });
    }

    /// <summary>
    /// The organisation acted for: an operator's (a partner's) <c>organisation_id</c>, which it must give; for anyone
    /// else their own, which <c>organisation_id</c>, if given, must name (see the class remarks).
    /// </summary>
    private async Task<Organisation> ScopeOrganisationAsync(FormSection form, Caller caller, CancellationToken cancellationToken)
    {
        var named = form.TextOrNumber("organisation_id", 20);
        if (caller.IsOperator)
        {
            if (named is null) throw ApiException.BadRequest("organisation_id", "is required when a partner acts for an organisation.");
            return Ids.TryParse(named, out var managed) && await identity.GetOrganisationAsync(managed, cancellationToken) is { } organisation
                ? organisation : throw ApiException.NotFound("Organisation not found.");
        }
        var own = caller.RequireOrganisation();
        if (named is not null && (!Ids.TryParse(named, out var id) || id != own.Id)) throw ApiException.NotFound("Organisation not found.");
        return own;
    }

    public static ExpressRequest Read(FormSection form, string channel, Organisation organisation, DateTimeOffset now)
    {
        var amount = Money.Parse(form, "amount");
        var reference = form.Text("reference", PaymentFields.MaxReferenceLength);
        var recipient = channel == ExpressChannels.Sms ? Recipients.MobileNumber(form, "number") : Recipients.Email(form, "email");
        return new ExpressRequest(channel, recipient, amount, reference, ReadExpiry(form, organisation, now));
    }

    /// <summary>DD-MM-YYYY in the organisation's time zone; the link can be paid until the end of that day there.</summary>
    private static DateTimeOffset ReadExpiry(FormSection form, Organisation organisation, DateTimeOffset now)
    {
        var text = form.Text("expiry_date", 10);
        if (text is null) return now + DefaultLifetime;
        if (!DateOnly.TryParseExact(text, "dd-MM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw ApiException.BadRequest("expiry_date", "must be a date as DD-MM-YYYY, e.g. 31-12-2026.");
        }
        var zone = ApiTime.Zone(organisation.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        if (date < today) throw ApiException.BadRequest("expiry_date", "is in the past.");
        if (date > today.AddDays(MaxLifetimeDays)) throw ApiException.BadRequest("expiry_date", $"must be at most {MaxLifetimeDays} days ahead.");
        var endOfDay = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A day that starts in a daylight-saving gap starts an hour later.
        if (zone.IsInvalidTime(endOfDay)) endOfDay = endOfDay.AddHours(1);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(endOfDay, zone), TimeSpan.Zero);
    }
}
