using Gateway.Api;
using Gateway.Platform;

namespace Gateway.Identity;

/// <summary>
/// Licences: how many users of an organisation may be activated for each service. The organisation row holds
/// both the licence counts and the number in use, and each activation changes the user and that count in one
/// entity-group transaction guarded by both ETags, so concurrent activations can never exceed the licences.
/// </summary>
public sealed class LicenceService(IdentityStore store)
{
    public Task<Organisation> SetLicencesAsync(long organisationId, IReadOnlyList<KeyValuePair<int, int>> counts, CancellationToken cancellationToken) =>
        IdentityStore.UntilCommittedAsync(async () =>
        {
            var organisation = await store.GetOrganisationAsync(organisationId, cancellationToken)
                ?? throw ApiException.NotFound("Organisation not found.");
            var licences = new Dictionary<int, int>(organisation.Licences);
            foreach (var (serviceId, count) in counts)
            {
                var inUse = organisation.LicencesInUse.GetValueOrDefault(serviceId);
                if (count < inUse)
                {
                    throw ApiException.Conflict(
                        $"serviceId[{serviceId}]: {inUse} {Services.Find(serviceId)!.Name} licences are in use; deactivate users before going below that.");
                }
                licences[serviceId] = count;
            }
            var updated = organisation with { Licences = licences };
            return await store.CommitAsync([TableActions.Replace(updated.ToEntity(), organisation.ETag)], cancellationToken) ? updated : null;
        });

    /// <summary>
    /// Activates or deactivates the user for each service; already-active (or inactive) ones are left as they are,
    /// which also makes a retry after a commit whose answer was lost come out right.
    /// </summary>
    public Task<User> SetActivationAsync(long organisationId, long userId, IReadOnlyList<int> services, bool activate, CancellationToken cancellationToken) =>
        IdentityStore.UntilCommittedAsync(async () =>
        {
            var userRead = store.GetUserAsync(organisationId, userId, cancellationToken);
            var organisationRead = store.GetOrganisationAsync(organisationId, cancellationToken);
            var user = await userRead ?? throw UserService.UserNotFound();
            var organisation = await organisationRead ?? throw UserService.UserNotFound();

            var changing = activate ? services.Except(user.Services).ToList() : services.Intersect(user.Services).ToList();
            if (changing.Count == 0) return user;

            var inUse = new Dictionary<int, int>(organisation.LicencesInUse);
            foreach (var serviceId in changing)
            {
                var used = inUse.GetValueOrDefault(serviceId);
                var licensed = organisation.Licences.GetValueOrDefault(serviceId);
                if (activate && used >= licensed)
                {
                    throw ApiException.Conflict(
                        $"No {Services.Find(serviceId)!.Name} licence is available: {used} of {licensed} in use. Add licences with licenseupdate first.");
                }
                inUse[serviceId] = Math.Max(0, used + (activate ? 1 : -1));
            }

            var updatedUser = user with
            {
                Services = activate ? [.. user.Services.Union(changing).Order()] : [.. user.Services.Except(changing)],
            };
            var updatedOrganisation = organisation with { LicencesInUse = inUse };
            return await store.CommitAsync(
                [
                    TableActions.Replace(updatedOrganisation.ToEntity(), organisation.ETag),
                    TableActions.Replace(updatedUser.ToEntity(), user.ETag),
                ], cancellationToken)
                ? updatedUser
                : null;
        });
}
