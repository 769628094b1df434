using Gateway.Api;
using Gateway.Hosting;
using Gateway.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

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
public static class TestClockApi
{
    public static void MapTestClock(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Organisations").RequireAuthorization(Policies.OrganisationReader);
        group.MapFunction(Functions.TestClockView, ViewAsync)
            .WithSummary("The organisation's time: its test clock when set, else real time.")
            .ProducesApiErrors(401, 403, 404);
        group.MapFunction(Functions.TestClockSet, SetAsync)
            .WithSummary("Stop a test-mode organisation's clock at now (YYYY-MM-DD HH:mm:ss in its time zone), until moved again or reset.")
            .AcceptsForm<TestClockForm>().ProducesApiErrors(400, 401, 403, 404, 409, 413, 415);
        group.MapFunction(Functions.TestClockReset, ResetAsync)
            .WithSummary("Put a test-mode organisation back on real time.")
            .ProducesApiErrors(401, 403, 404, 409);
    }

    private static async Task<Ok<TestClockResponse>> ViewAsync(string id, Caller caller, IdentityStore store, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var organisation = caller.Organisation?.Id == organisationId
            ? caller.Organisation
            : await store.GetOrganisationAsync(organisationId, cancellationToken);
        return TypedResults.Ok(TestClockResponse.From(organisation ?? throw ApiException.NotFound("Organisation not found."), time));
    }

    private static async Task<Ok<TestClockResponse>> SetAsync(string id, RequestForm form, Caller caller, OrganisationClock clock, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        var set = await clock.SetAsync(organisationId, o => OrganisationClock.ReadNow(form.Root, ApiTime.Zone(o.TimeZone)), cancellationToken);
        return TypedResults.Ok(TestClockResponse.From(set, time));
    }

    private static async Task<Ok<TestClockResponse>> ResetAsync(string id, Caller caller, OrganisationClock clock, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var organisationId = caller.ScopeOrganisation(id);
        return TypedResults.Ok(TestClockResponse.From(await clock.SetAsync(organisationId, _ => null, cancellationToken), time));
    }
}
