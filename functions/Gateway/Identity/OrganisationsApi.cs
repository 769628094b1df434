using System.Globalization;
using Gateway.Api;
using Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Identity;

/// <summary>Organisations and their licences. Operators create organisations; administrators manage their own.</summary>
public static class OrganisationsApi
{
    public static void MapOrganisations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Organisations");
        group.MapFunction(Functions.OrganisationCreate, CreateAsync)
            .RequireAuthorization(Policies.Operator)
            .WithSummary("Create an organisation with its first administrator (operators only).")
            .AcceptsForm<OrganisationCreateForm>().ProducesApiErrors(400, 401, 403, 409, 413, 415);
        group.MapFunction(Functions.OrganisationView, ViewAsync)
            .RequireAuthorization(Policies.OrganisationReader)
            .WithSummary("View an organisation's settings, licences and API salt.")
            .ProducesApiErrors(401, 403, 404);
        group.MapFunction(Functions.OrganisationUpdate, UpdateAsync)
            .RequireAuthorization(Policies.UserAdministratorOrOperator)
            .WithSummary("Change an organisation's name, currency, time zone or webhook settings (webhook_*_url, webhook_secret_rotate=1); operators can also change its mode.")
            .AcceptsForm<OrganisationUpdateForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);
        group.MapFunction(Functions.LicenceUpdate, UpdateLicencesAsync)
            .RequireAuthorization(Policies.UserAdministratorOrOperator)
            .WithSummary("Set how many licences the organisation has per service (serviceId[ID]=N).")
            .AcceptsForm<ServiceIdCountsForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);
    }

    private static async Task<Created<OrganisationCreatedResponse>> CreateAsync(RequestForm form, OrganisationService organisations, CancellationToken cancellationToken)
    {
        var (organisation, administrator) = await organisations.CreateAsync(
            OrganisationFields.Read(form.Section("Organisation")), UserFields.Read(form.Section("User")), cancellationToken);
        var zone = Platform.ApiTime.Zone(organisation.TimeZone);
        return TypedResults.Created($"/api/v1/organisation/{organisation.Id}",
            new OrganisationCreatedResponse(OrganisationResponse.From(organisation), UserResponse.From(administrator, zone)));
    }

    private static async Task<Ok<OrganisationResponse>> ViewAsync(string id, Caller caller, IdentityStore store, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var organisation = caller.Organisation?.Id == organisationId
            ? caller.Organisation
            : await store.GetOrganisationAsync(organisationId, cancellationToken);
        return TypedResults.Ok(OrganisationResponse.From(organisation ?? throw ApiException.NotFound("Organisation not found."),
            showSalt: caller.User is not null));
    }

    private static async Task<Ok<OrganisationResponse>> UpdateAsync(string id, RequestForm form, Caller caller, OrganisationService organisations, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var updated = await organisations.UpdateAsync(organisationId, OrganisationFields.Read(form.Section("Organisation")),
            mayChangeMode: caller.IsOperator, cancellationToken);
        return TypedResults.Ok(OrganisationResponse.From(updated));
    }

    /// <summary>Answers as documented: the organisation's name and every licence count, as strings.</summary>
    private static async Task<Ok<LicenceUpdateResponse>> UpdateLicencesAsync(string id, RequestForm form, Caller caller, LicenceService licences, CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var counts = ServiceIds.ReadCounts(form.Root, "serviceId");
        var organisation = await licences.SetLicencesAsync(organisationId, counts, cancellationToken);
        var services = organisation.Licences.OrderBy(l => l.Key).ToDictionary(
            l => l.Key.ToString(CultureInfo.InvariantCulture), l => l.Value.ToString(CultureInfo.InvariantCulture));
        return TypedResults.Ok(new LicenceUpdateResponse(organisation.Name, new LicenceCounts(services)));
    }
}
