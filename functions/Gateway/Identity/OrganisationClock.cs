using System.Globalization;
using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// An organisation's time (see <see cref="Organisation.Now"/>) and the test clock that can stand in for it. Code that
/// holds the organisation asks it directly; code that holds only a record of it (a sweep, a 3-D Secure answer, an
/// express link) reads the organisation here, so a stamp it writes follows the same clock as the record's others.
/// </summary>
public sealed class OrganisationClock(IdentityStore store, TimeProvider time)
{
    public const string NowField = "now";

    public async Task<DateTimeOffset> NowAsync(long organisationId, CancellationToken cancellationToken) =>
        await store.GetOrganisationAsync(organisationId, cancellationToken) is { } organisation ? organisation.Now(time) : time.GetUtcNow();

    /// <summary>
    /// Stops the organisation's clock at the instant <paramref name="instant"/> picks (given the organisation as read, for
    /// its time zone), or lets it run with real time again (null). An ETag-checked write of the organisation row.
    /// </summary>
    public Task<Organisation> SetAsync(long organisationId, Func<Organisation, DateTimeOffset?> instant, CancellationToken cancellationToken) =>
        IdentityStore.UntilCommittedAsync(async () =>
        {
            var organisation = await store.GetOrganisationAsync(organisationId, cancellationToken)
                ?? throw ApiException.NotFound("Organisation not found.");
            if (organisation.Mode != OrganisationModes.Test)
            {
                throw ApiException.Conflict("Test clocks are only for test-mode organisations; a live organisation runs on real time.");
            }
            var updated = organisation with { TestClock = instant(organisation) };
            return await store.CommitAsync([TableActions.Replace(updated.ToEntity(), organisation.ETag)], cancellationToken) ? updated : null;
        });

    /// <summary>
    /// <c>now</c> as <c>YYYY-MM-DD HH:mm:ss</c> in <paramref name="zone"/>. A local time the zone skips (the hour clocks
    /// jump over in spring) names no instant and is refused; one it passes twice (the hour repeated in autumn) is taken
    /// as the earlier of the two, the first time a wall clock there shows it.
    /// </summary>
    public static DateTimeOffset ReadNow(FormSection form, TimeZoneInfo zone)
    {
        var text = form.Text(NowField, ApiTime.Format.Length) ?? throw ApiException.BadRequest(form.FieldName(NowField), "is required.");
        if (!DateTime.TryParseExact(text, ApiTime.Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            throw ApiException.BadRequest(form.FieldName(NowField), "must be a time as YYYY-MM-DD HH:mm:ss, e.g. 2027-01-31 09:00:00.");
        }
        // The gateway's dates (card expiry years, date filters) are only sure to make sense within this century.
        if (local.Year is < 2000 or > 2099) throw ApiException.BadRequest(form.FieldName(NowField), "must be in the years 2000 to 2099.");
        if (zone.IsInvalidTime(local))
        {
            throw ApiException.BadRequest(form.FieldName(NowField), $"{text} does not exist in {zone.Id}: the clocks skip it for daylight saving.");
        }
        // Of two offsets, the larger is the earlier instant (daylight time, before the clocks go back).
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
