using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

/// <summary>Users and their service activations, as in the API documents' User and Licenses sections.</summary>
[Tags("Users")]
public sealed class UsersApi(IdentityStore store, UserService users, LicenceService licences)
{
    [Function(nameof(UserList)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("List an organisation's users."), ApiErrors(401, 403, 404)]
    public async Task<Ok<UserResponse[]>> UserList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/user")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
        var organisation = caller.RequireOrganisation();
        caller.ScopeOrganisation(id);
        var zone = ApiTime.Zone(organisation.TimeZone);
        var list = await store.ListUsersAsync(organisation.Id, cancellationToken);
        return TypedResults.Ok(list.Select(u => UserResponse.From(u, zone)).ToArray());
    }

    [Function(nameof(UserView)), Authorize(Policy = Policies.OrganisationUser)]
    [EndpointSummary("View a user. Agents may view only themselves."), ApiErrors(401, 403, 404)]
    public async Task<Ok<UserResponse>> UserView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/user/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var caller = request.Caller();
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

    [Function(nameof(UserCreate)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Create a user in the caller's organisation."), AcceptsForm(typeof(UserForm))]
    [ApiErrors(400, 401, 403, 409, 413, 415)]
    public async Task<Created<UserResponse>> UserCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/user")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var user = await users.CreateAsync(organisation, UserFields.Read(form.Section("User")), cancellationToken);
        return TypedResults.Created($"/api/v1/user/{user.Id}", UserResponse.From(user, ApiTime.Zone(organisation.TimeZone)));
    }

    [Function(nameof(UserUpdate)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Change a user; only the fields sent change, an empty value clears an optional field.")]
    [AcceptsForm(typeof(UserForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<UserResponse>> UserUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/user/{id}")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        var user = await users.UpdateAsync(organisation.Id, userId, UserFields.Read(form.Section("User")), cancellationToken);
        return TypedResults.Ok(UserResponse.From(user, ApiTime.Zone(organisation.TimeZone)));
    }

    [Function(nameof(UserActivate)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Activate the user's licence for services (serviceId[]=ID).")]
    [AcceptsForm(typeof(ServiceIdListForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public Task<Ok<ActivationResponse>> UserActivate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/user/{id}/activate")] HttpRequest request,
        string id, CancellationToken cancellationToken) =>
        SetActivationAsync(request, id, activate: true, cancellationToken);

    [Function(nameof(UserDeactivate)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Deactivate the user's licence for services (serviceId[]=ID).")]
    [AcceptsForm(typeof(ServiceIdListForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public Task<Ok<ActivationResponse>> UserDeactivate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/user/{id}/deactivate")] HttpRequest request,
        string id, CancellationToken cancellationToken) =>
        SetActivationAsync(request, id, activate: false, cancellationToken);

    private async Task<Ok<ActivationResponse>> SetActivationAsync(
        HttpRequest request, string id, bool activate, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var userId = Ids.ParseOrNotFound(id, "User");
        var services = ServiceIds.ReadList(form.Root, "serviceId");
        var user = await licences.SetActivationAsync(organisation.Id, userId, services, activate, cancellationToken);
        var outcome = services.Distinct().ToDictionary(s => Services.Find(s)!.Key, _ => activate ? "Activated" : "Deactivated");
        var who = new ActivationUser(user.Id, user.Name, user.Lastname, user.Email, user.Username);
        return TypedResults.Ok(new ActivationResponse(outcome, who));
    }
}
