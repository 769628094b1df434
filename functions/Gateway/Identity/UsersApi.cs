using Gateway.Api;
using Gateway.Hosting;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Identity;

/// <summary>Users and their service activations, as in the API documents' User and Licenses sections.</summary>
public static class UsersApi
{
    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        var admins = app.MapGroup("").RequireAuthorization(Policies.UserAdministrator).WithTags("Users");
        admins.MapFunction(Functions.UserList, ListAsync)
            .WithSummary("List an organisation's users.").ProducesApiErrors(401, 403, 404);
        admins.MapFunction(Functions.UserCreate, CreateAsync)
            .WithSummary("Create a user in the caller's organisation.")
            .AcceptsForm<UserForm>().ProducesApiErrors(400, 401, 403, 409, 413, 415);
        admins.MapFunction(Functions.UserUpdate, UpdateAsync)
            .WithSummary("Change a user; only the fields sent change, an empty value clears an optional field.")
            .AcceptsForm<UserForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);
        admins.MapFunction(Functions.UserActivate, ActivateAsync)
            .WithSummary("Activate the user's licence for services (serviceId[]=ID).")
            .AcceptsForm<ServiceIdListForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);
        admins.MapFunction(Functions.UserDeactivate, DeactivateAsync)
            .WithSummary("Deactivate the user's licence for services (serviceId[]=ID).")
            .AcceptsForm<ServiceIdListForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);

        app.MapFunction(Functions.UserView, ViewAsync)
            .RequireAuthorization(Policies.OrganisationUser)
            .WithTags("Users")
            .WithSummary("View a user. Agents may view only themselves.")
            .ProducesApiErrors(401, 403, 404);
    }

    private static async Task<Ok<UserResponse[]>> ListAsync(string id, Caller caller, IdentityStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        caller.ScopeOrganisation(id);
        var zone = ApiTime.Zone(organisation.TimeZone);
        var users = await store.ListUsersAsync(organisation.Id, cancellationToken);
        return TypedResults.Ok(users.Select(u => UserResponse.From(u, zone)).ToArray());
    }

    private static async Task<Ok<UserResponse>> ViewAsync(string id, Caller caller, IdentityStore store, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        if (!caller.IsAdministrator && caller.User!.Id != userId)
        {
            throw ApiException.Forbidden("Agents can only view their own user.");
        }
        // Authentication has just read the caller's own row; reading it again would only cost a round trip.
        var user = caller.User!.Id == userId
            ? caller.User
            : await store.GetUserAsync(organisation.Id, userId, cancellationToken) ?? throw UserService.UserNotFound();
        return TypedResults.Ok(UserResponse.From(user, ApiTime.Zone(organisation.TimeZone)));
    }

    private static async Task<Created<UserResponse>> CreateAsync(RequestForm form, Caller caller, UserService users, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var user = await users.CreateAsync(organisation, UserFields.Read(form.Section("User")), cancellationToken);
        return TypedResults.Created($"/api/v1/user/{user.Id}", UserResponse.From(user, ApiTime.Zone(organisation.TimeZone)));
    }

    private static async Task<Ok<UserResponse>> UpdateAsync(string id, RequestForm form, Caller caller, UserService users, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        var user = await users.UpdateAsync(organisation.Id, userId, UserFields.Read(form.Section("User")), cancellationToken);
        return TypedResults.Ok(UserResponse.From(user, ApiTime.Zone(organisation.TimeZone)));
    }

    private static Task<Ok<ActivationResponse>> ActivateAsync(string id, RequestForm form, Caller caller, LicenceService licences, CancellationToken cancellationToken) =>
        SetActivationAsync(id, form, caller, licences, activate: true, cancellationToken);

    private static Task<Ok<ActivationResponse>> DeactivateAsync(string id, RequestForm form, Caller caller, LicenceService licences, CancellationToken cancellationToken) =>
        SetActivationAsync(id, form, caller, licences, activate: false, cancellationToken);

    private static async Task<Ok<ActivationResponse>> SetActivationAsync(
        string id, RequestForm form, Caller caller, LicenceService licences, bool activate, CancellationToken cancellationToken)
    {
        var organisation = caller.RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        var services = ServiceIds.ReadList(form.Root, "serviceId");
        var user = await licences.SetActivationAsync(organisation.Id, userId, services, activate, cancellationToken);
        var outcome = services.Distinct().ToDictionary(s => Services.Find(s)!.Key, _ => activate ? "Activated" : "Deactivated");
        return TypedResults.Ok(new ActivationResponse(outcome, new ActivationUser(user.Id, user.Name, user.Lastname, user.Email, user.Username)));
    }
}
