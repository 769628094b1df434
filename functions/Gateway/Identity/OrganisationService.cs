using Gateway.Api;
using Gateway.Platform;
using Gateway.Storage;

namespace Gateway.Identity;

/// <summary>The <c>Organisation[...]</c> fields of a create or update, validated.</summary>
public sealed record OrganisationFields(FormSection Form, string? Name, string? Currency, string? TimeZone, string? Mode)
{
    public static OrganisationFields Read(FormSection form)
    {
        var currency = form.Text("currency", 3)?.ToUpperInvariant();
        if (currency is not null && !Currencies.Supported.Contains(currency))
        {
            throw ApiException.BadRequest(form.FieldName("currency"), $"must be one of: {string.Join(", ", Currencies.Supported.Order())}.");
        }
        var zone = form.Text("timezone", 64);
        if (zone is not null && ApiTime.TryFindZone(zone) is null)
        {
            throw ApiException.BadRequest(form.FieldName("timezone"), "must be an IANA time zone such as Africa/Johannesburg.");
        }
        var mode = form.Text("mode", 8);
        if (mode is not null && !OrganisationModes.IsValid(mode))
        {
            throw ApiException.BadRequest(form.FieldName("mode"), "must be test or live.");
        }
        return new OrganisationFields(form, form.Text("name", 100), currency, zone, mode);
    }
}

/// <summary>Creating organisations (operators) and changing their settings (administrators; the mode only operators).</summary>
public sealed class OrganisationService(IdentityStore store, IdAllocator ids, UserService users, TimeProvider time)
{
    public const string Sequence = "organisation";

    /// <summary>The organisation and its first administrator, written in one transaction after the username is claimed.</summary>
    public async Task<(Organisation Organisation, User Administrator)> CreateAsync(
        OrganisationFields fields, UserFields administrator, CancellationToken cancellationToken)
    {
        var name = fields.Name ?? throw ApiException.BadRequest(fields.Form.FieldName("name"), "is required.");
        var username = administrator.Username ?? throw ApiException.BadRequest(administrator.Form.FieldName("username"), "is required.");
        if (administrator.Password is null)
        {
            throw ApiException.BadRequest(administrator.Form.FieldName("password"), "is required for the first administrator.");
        }
        if (administrator.Role is not null && administrator.Role != Roles.Administrator)
        {
            throw ApiException.BadRequest(administrator.Form.FieldName("role"), "must be administrator for the first user.");
        }

        var organisation = new Organisation(
            await ids.NextAsync(Sequence, cancellationToken),
            name,
            fields.Currency ?? Currencies.Default,
            fields.TimeZone ?? ApiTime.DefaultZone,
            fields.Mode ?? OrganisationModes.Test,
            Secrets.Hex(16),
            time.GetUtcNow(),
            Licences: new Dictionary<int, int>(),
            LicencesInUse: new Dictionary<int, int>(),
            Administrators: 1);
        var user = users.NewUser(await ids.NextAsync(UserService.Sequence, cancellationToken), organisation.Id, username, Roles.Administrator, administrator);

        await users.ClaimAsync(administrator.Form.FieldName("username"), user, cancellationToken);
        await users.WriteClaimedAsync(user, async () =>
        {
            // Fresh ids: a refused insert can only be an earlier attempt of this one that landed unanswered.
            if (!await store.CommitAsync([TableOperation.Insert(organisation.ToEntity()), TableOperation.Insert(user.ToEntity())], CancellationToken.None)
                && await store.GetOrganisationAsync(organisation.Id, CancellationToken.None) is null)
            {
                throw new InvalidOperationException($"Organisation {organisation.Id} could not be written.");
            }
        });
        return (organisation, user);
    }

    public async Task<Organisation> UpdateAsync(long organisationId, OrganisationFields fields, bool mayChangeMode, CancellationToken cancellationToken)
    {
        if (fields.Mode is not null && !mayChangeMode)
        {
            throw ApiException.Forbidden($"{fields.Form.FieldName("mode")}: only a platform operator can switch an organisation between test and live.");
        }
        if (fields.Form.Has("name") && fields.Name is null)
        {
            throw ApiException.BadRequest(fields.Form.FieldName("name"), "cannot be blank.");
        }
        return await IdentityStore.UntilCommittedAsync(async () =>
        {
            var organisation = await store.GetOrganisationAsync(organisationId, cancellationToken)
                ?? throw ApiException.NotFound("Organisation not found.");
            var updated = organisation with
            {
                Name = fields.Name ?? organisation.Name,
                Currency = fields.Currency ?? organisation.Currency,
                TimeZone = fields.TimeZone ?? organisation.TimeZone,
                Mode = fields.Mode ?? organisation.Mode,
            };
            return await store.CommitAsync([TableOperation.Replace(updated.ToEntity(), organisation.ETag!)], cancellationToken) ? updated : null;
        });
    }
}
