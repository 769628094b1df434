using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Identity;

/// <summary>The clock a test-mode organisation sets for itself: frozen at the time set until moved again or reset.</summary>
public sealed record TestClockResponse(long OrganisationId, string Now, bool TestClock)
{
    public static TestClockResponse From(Organisation organisation, TimeProvider time) =>
        new(organisation.Id, ApiTime.Show(organisation.Now(time), organisation.TimeZone), organisation.TestClock is not null);
}

/// <summary>
/// A test-mode organisation's own clock, so merchants and tests can run months of expiry in seconds. Its
/// administrators, operators and its API keys (merchants automate their tests with keys) may read and set it.
/// </summary>
[Tags("Organisations")]
public sealed class TestClockApi(IdentityStore store, OrganisationClock clock, TimeProvider time)
{
    [Function(nameof(TestClockView)), Authorize(Policy = Policies.OrganisationReader)]
    [EndpointSummary("The organisation's time: its test clock when set, else real time."), ApiErrors(401, 403, 404)]
    public async Task<Ok<TestClockResponse>> TestClockView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/organisation/{id}/test-clock")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = await store.ScopedOrganisationAsync(request.Caller(), id, cancellationToken);
        return TypedResults.Ok(TestClockResponse.From(organisation, time));
    }

    [Function(nameof(TestClockSet)), Authorize(Policy = Policies.OrganisationReader)]
    [EndpointSummary("Stop a test-mode organisation's clock at now (YYYY-MM-DD HH:mm:ss in its time zone), until " +
        "moved again or reset.")]
    [AcceptsForm(typeof(TestClockForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<TestClockResponse>> TestClockSet(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/v1/organisation/{id}/test-clock")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisationId = request.Caller().ScopeOrganisation(id);
        var set = await clock.SetAsync(organisationId,
            o => OrganisationClock.ReadNow(form.Root, ApiTime.Zone(o.TimeZone)), cancellationToken);
        return TypedResults.Ok(TestClockResponse.From(set, time));
    }

    [Function(nameof(TestClockReset)), Authorize(Policy = Policies.OrganisationReader)]
    [EndpointSummary("Put a test-mode organisation back on real time."), ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<TestClockResponse>> TestClockReset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/organisation/{id}/test-clock")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisationId = request.Caller().ScopeOrganisation(id);
        return TypedResults.Ok(TestClockResponse.From(await clock.SetAsync(organisationId, _ => null, cancellationToken), time));
    }
}
