using Gateway.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

/// <summary>The ids the API documents list: services, payment gateways and user roles.</summary>
[Tags("Platform")]
public sealed class ConstantsApi
{
    [Function(nameof(ConstantsView)), Authorize]
    [EndpointSummary("Service ids, gateway ids and user roles, as the API documents list them."), ApiErrors(401)]
    public Ok<ConstantsResponse> ConstantsView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/constants")] HttpRequest request) =>
        TypedResults.Ok(new ConstantsResponse(Services.All, PaymentGateways.All, Roles.Organisation));
}
