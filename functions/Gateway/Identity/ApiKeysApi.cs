using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

/// <summary>An organisation's API keys, managed by its administrators. The key is in the create response only.</summary>
[Tags("API keys")]
public sealed class ApiKeysApi(ApiKeyService keys)
{
    [Function(nameof(ApiKeyCreate)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Create an API key (ApiKey[mode]=test|live, ApiKey[name]). The key is shown only in this response.")]
    [AcceptsForm(typeof(ApiKeyForm)), ApiErrors(400, 401, 403, 404, 413, 415)]
    public async Task<Created<ApiKeyResponse>> ApiKeyCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/organisation/{id}/api-key")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = Scope(request, id);
        var fields = form.Section("ApiKey");
        var mode = fields.Text("mode", 8) ?? OrganisationModes.Test;
        if (!OrganisationModes.IsValid(mode)) throw ApiException.BadRequest(fields.FieldName("mode"), "must be test or live.");
        var (key, secret) = await keys.CreateAsync(organisation, mode, fields.Text("name", 100), cancellationToken);
        return TypedResults.Created($"/api/v1/organisation/{organisation.Id}/api-key/{key.Id}", Response(key, organisation, secret));
    }

    [Function(nameof(ApiKeyList)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("List the organisation's API keys (prefixes only)."), ApiErrors(401, 403, 404)]
    public async Task<Ok<ApiKeyResponse[]>> ApiKeyList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/api-key")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = Scope(request, id);
        var list = await keys.ListAsync(organisation.Id, cancellationToken);
        return TypedResults.Ok(list.Select(k => Response(k, organisation, secret: null)).ToArray());
    }

    [Function(nameof(ApiKeyRevoke)), Authorize(Policy = Policies.UserAdministrator)]
    [EndpointSummary("Revoke an API key; it stops working at once."), ApiErrors(401, 403, 404)]
    public async Task<NoContent> ApiKeyRevoke(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/organisation/{id}/api-key/{keyId}")]
        HttpRequest request, string id, string keyId, CancellationToken cancellationToken)
    {
        var organisation = Scope(request, id);
        return await keys.RevokeAsync(organisation.Id, keyId, cancellationToken)
            ? TypedResults.NoContent()
            : throw ApiException.NotFound("API key not found.");
    }

    private static Organisation Scope(HttpRequest request, string id)
    {
        var caller = request.Caller();
        caller.ScopeOrganisation(id);
        return caller.RequireOrganisation();
    }

    private static ApiKeyResponse Response(ApiKey key, Organisation organisation, string? secret) =>
        new(key.Id, key.Name, key.Mode, key.Prefix, ApiTime.Show(key.Created, organisation.TimeZone), secret);
}
