using Gateway.Api;
using Gateway.Hosting;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Identity;

/// <summary>An organisation's API keys, managed by its administrators. The key is in the create response only.</summary>
public static class ApiKeysApi
{
    public static void MapApiKeys(this IEndpointRouteBuilder app)
    {
        var admins = app.MapGroup("").RequireAuthorization(Policies.UserAdministrator).WithTags("API keys");
        admins.MapFunction(Functions.ApiKeyCreate, CreateAsync)
            .WithSummary("Create an API key (ApiKey[mode]=test|live, ApiKey[name]). The key is shown only in this response.")
            .AcceptsForm<ApiKeyForm>().ProducesApiErrors(400, 401, 403, 404, 413, 415);
        admins.MapFunction(Functions.ApiKeyList, ListAsync)
            .WithSummary("List the organisation's API keys (prefixes only).").ProducesApiErrors(401, 403, 404);
        admins.MapFunction(Functions.ApiKeyRevoke, RevokeAsync)
            .WithSummary("Revoke an API key; it stops working at once.").ProducesApiErrors(401, 403, 404);
    }

    private static async Task<Created<ApiKeyResponse>> CreateAsync(string id, RequestForm form, Caller caller, ApiKeyService keys, CancellationToken cancellationToken)
    {
        caller.ScopeOrganisation(id);
        var organisation = caller.RequireOrganisation();
        var fields = form.Section("ApiKey");
        var mode = fields.Text("mode", 8) ?? OrganisationModes.Test;
        if (!OrganisationModes.IsValid(mode)) throw ApiException.BadRequest(fields.FieldName("mode"), "must be test or live.");
        var (key, secret) = await keys.CreateAsync(organisation, mode, fields.Text("name", 100), cancellationToken);
        return TypedResults.Created($"/api/v1/organisation/{organisation.Id}/api-key/{key.Id}", Response(key, organisation, secret));
    }

    private static async Task<Ok<ApiKeyResponse[]>> ListAsync(string id, Caller caller, ApiKeyService keys, CancellationToken cancellationToken)
    {
        caller.ScopeOrganisation(id);
        var organisation = caller.RequireOrganisation();
        var list = await keys.ListAsync(organisation.Id, cancellationToken);
        return TypedResults.Ok(list.Select(k => Response(k, organisation, secret: null)).ToArray());
    }

    private static async Task<NoContent> RevokeAsync(string id, string keyId, Caller caller, ApiKeyService keys, CancellationToken cancellationToken)
    {
        caller.ScopeOrganisation(id);
        var organisation = caller.RequireOrganisation();
        return await keys.RevokeAsync(organisation.Id, keyId, cancellationToken)
            ? TypedResults.NoContent()
            : throw ApiException.NotFound("API key not found.");
    }

    private static ApiKeyResponse Response(ApiKey key, Organisation organisation, string? secret) =>
        new(key.Id, key.Name, key.Mode, key.Prefix, ApiTime.Show(key.Created, organisation.TimeZone), secret);
}
