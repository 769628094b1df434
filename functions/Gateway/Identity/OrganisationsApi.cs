using System.Globalization;
using Gateway.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

/// <summary>Organisations and their licences. Operators create organisations; administrators manage their own.</summary>
[Tags("Organisations")]
public sealed class OrganisationsApi(OrganisationService organisations, IdentityStore store, LicenceService licences,
    ILivePayments live)
{
    [Function(nameof(OrganisationCreate)), Authorize(Policy = Policies.Operator)]
    [EndpointSummary("Create an organisation with its first administrator (operators only).")]
    [AcceptsForm(typeof(OrganisationCreateForm)), ApiErrors(400, 401, 403, 409, 413, 415)]
    public async Task<Created<OrganisationCreatedResponse>> OrganisationCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/organisation")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var (organisation, administrator) = await organisations.CreateAsync(
            OrganisationFields.Read(form.Section("Organisation")), UserFields.Read(form.Section("User")), cancellationToken);
        var zone = Platform.ApiTime.Zone(organisation.TimeZone);
        return TypedResults.Created($"/api/v1/organisation/{organisation.Id}",
            new OrganisationCreatedResponse(OrganisationResponse.From(organisation, live), UserResponse.From(administrator, zone)));
    }

    [Function(nameof(OrganisationView)), Authorize(Policy = Policies.OrganisationReader)]
    [EndpointSummary("View an organisation's settings, licences and API salt."), ApiErrors(401, 403, 404)]
    public async Task<Ok<OrganisationResponse>> OrganisationView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var organisation = await store.ScopedOrganisationAsync(caller, id, cancellationToken);
        return TypedResults.Ok(OrganisationResponse.From(organisation, live, showSalt: caller.User is not null));
    }

    [Function(nameof(OrganisationUpdate)), Authorize(Policy = Policies.UserAdministratorOrOperator)]
    [EndpointSummary("Change an organisation's name, currency, time zone, webhook settings (webhook_*_url, " +
        "webhook_secret_rotate=1), 3-D Secure setting (three_d_secure) or receipt templates (receipt_*); operators " +
        "can also change its mode, and raise the number of storage partitions its card payments spread over " +
        "(payment_partitions, 1-100, only upwards, in effect for new payments 5 minutes later).")]
    [AcceptsForm(typeof(OrganisationUpdateForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<OrganisationResponse>> OrganisationUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/organisation/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var caller = request.Caller();
        var organisationId = caller.ScopeOrganisation(id);
        var updated = await organisations.UpdateAsync(organisationId, OrganisationFields.Read(form.Section("Organisation")),
            mayChangeMode: caller.IsOperator, cancellationToken);
        return TypedResults.Ok(OrganisationResponse.From(updated, live));
    }

    /// <summary>Answers as documented: the organisation's name and every licence count, as strings.</summary>
    [Function(nameof(LicenceUpdate)), Authorize(Policy = Policies.UserAdministratorOrOperator)]
    [EndpointSummary("Set how many licences the organisation has per service (serviceId[ID]=N).")]
    [AcceptsForm(typeof(ServiceIdCountsForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<LicenceUpdateResponse>> LicenceUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/organisation/{id}/licenseupdate")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisationId = request.Caller().ScopeOrganisation(id);
        var counts = ServiceIds.ReadCounts(form.Root, "serviceId");
        var organisation = await licences.SetLicencesAsync(organisationId, counts, cancellationToken);
        var services = organisation.Licences.OrderBy(l => l.Key).ToDictionary(
            l => l.Key.ToString(CultureInfo.InvariantCulture), l => l.Value.ToString(CultureInfo.InvariantCulture));
        return TypedResults.Ok(new LicenceUpdateResponse(organisation.Name, new LicenceCounts(services)));
    }
}
