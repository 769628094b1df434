using Gateway.Api;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

/// <summary>The <c>Organisation[...]</c> fields of a create or update, validated.</summary>
public sealed record OrganisationFields(FormSection Form, string? Name, string? Currency, string? TimeZone, string? Mode,
    string? ThreeDSecure, bool? BasketLimits, int? PaymentPartitions)
{
    /// <summary>The webhook URL fields, by event kind; an empty value clears the URL.</summary>
    public static readonly (string Field, string Kind)[] WebhookUrlFields =
        [("webhook_success_url", "success"), ("webhook_error_url", "error"), ("webhook_refund_url", "refund"),
            ("cashier_webhook_url", "cashier"), ("collections_webhook_url", "collections")];

    public const string RotateSecretField = "webhook_secret_rotate";
    public const string RotatePasswordField = "signature_password_rotate";

    public bool RotatesSecret => Rotates(RotateSecretField, "the secret");

    /// <summary>Whether the update replaces the cashier's signature password.</summary>
    public bool RotatesSignaturePassword => Rotates(RotatePasswordField, "the signature password");

    private bool Rotates(string field, string what) => Form.Text(field, 5) switch
    {
        null or "0" or "false" => false,
        "1" or "true" => true,
        _ => throw ApiException.BadRequest(Form.FieldName(field), $"must be 1 or true to rotate {what}."),
    };

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
        var threeDSecure = form.Text("three_d_secure", 16);
        if (threeDSecure is not null && !ThreeDSecureModes.All.Contains(threeDSecure))
        {
            throw ApiException.BadRequest(form.FieldName("three_d_secure"), $"must be one of: {string.Join(", ", ThreeDSecureModes.All)}.");
        }
        var basketLimits = form.Flag("basket_limits")?.ToLowerInvariant() switch
        {
            null => (bool?)null,
            "1" or "true" => true,
            "0" or "false" => false,
            _ => throw ApiException.BadRequest(form.FieldName("basket_limits"), "must be 0 or 1."),
        };
        var partitions = form.TextOrNumber("payment_partitions", 3) switch
        {
            null => (int?)null,
            var text when int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                out var n) && n is >= 1 and <= Gateway.Identity.PaymentPartitions.Max => n,
            _ => throw ApiException.BadRequest(form.FieldName("payment_partitions"), $"must be a whole number from 1 to {Gateway.Identity.PaymentPartitions.Max}."),
        };
        return new OrganisationFields(form, form.Text("name", 100), currency, zone, mode, threeDSecure, basketLimits, partitions);
    }
}

/// <summary>Creating organisations (operators) and changing their settings (administrators; the mode only operators).</summary>
public sealed class OrganisationService(IdentityStore store, IdAllocator ids, UserService users, TimeProvider time,
    WebhookUrls webhookUrls, IOptions<WebhookOptions> webhookOptions, IOptions<PartitionOptions> partitions)
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
            Administrators: 1)
        {
            Webhooks = WebhookSettings.None with
            {
                Secret = WebhookSettings.NewSecret(),
                SignaturePassword = WebhookSettings.NewSignaturePassword(fields.Mode ?? OrganisationModes.Test),
            },
            ThreeDSecure = fields.ThreeDSecure ?? ThreeDSecureModes.WhenRequired,
            BasketLimits = fields.BasketLimits ?? false,
            Receipts = ReceiptTemplates.None.With(fields.Form),
            PaymentPartitions = PaymentPartitions.One with { Count = fields.PaymentPartitions ?? partitions.Value.Default },
        };
        var user = users.NewUser(await ids.NextAsync(UserService.Sequence, cancellationToken), organisation.Id, username, Roles.Administrator, administrator);

        await users.ClaimAsync(administrator.Form.FieldName("username"), user, cancellationToken);
        await users.WriteClaimedAsync(user, async () =>
        {
            // Fresh ids: a refused insert can only be an earlier attempt of this one that landed unanswered.
            if (!await store.CommitAsync([TableActions.Insert(organisation.ToEntity()), TableActions.Insert(user.ToEntity())], CancellationToken.None)
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
        if (fields.PaymentPartitions is not null && !mayChangeMode)
        {
            throw ApiException.Forbidden($"{fields.Form.FieldName("payment_partitions")}: only a platform operator can spread an organisation's payments.");
        }
        if (fields.Form.Has("name") && fields.Name is null)
        {
            throw ApiException.BadRequest(fields.Form.FieldName("name"), "cannot be blank.");
        }
        var rotate = fields.RotatesSecret;
        var rotatePassword = fields.RotatesSignaturePassword;
        // Checked before the read-modify-write loop: a bad template is the caller's error, whatever the row holds.
        ReceiptTemplates.None.With(fields.Form);
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
                ThreeDSecure = fields.ThreeDSecure ?? organisation.ThreeDSecure,
                BasketLimits = fields.BasketLimits ?? organisation.BasketLimits,
                Receipts = organisation.Receipts.With(fields.Form),
                PaymentPartitions = fields.PaymentPartitions is { } count
                    ? organisation.PaymentPartitions.RaisedTo(count, time.GetUtcNow(), fields.Form.FieldName("payment_partitions"))
                    : organisation.PaymentPartitions,
            };
            // A live organisation runs on real time: switching to live stops its test clock in the same write.
            if (updated.Mode == OrganisationModes.Live) updated = updated with { TestClock = null };
            updated = updated with { Webhooks = await WebhooksAsync(fields, updated, rotate, cancellationToken) };
            if (rotatePassword || updated.Webhooks.SignaturePassword is null)
            {
                // Organisations made before the cashier get their first password with their first update.
                updated = updated with
                {
                    Webhooks = updated.Webhooks with { SignaturePassword = WebhookSettings.NewSignaturePassword(updated.Mode) },
                };
            }
            return await store.CommitAsync([TableActions.Replace(updated.ToEntity(), organisation.ETag)], cancellationToken) ? updated : null;
        });
    }

    /// <summary>
    /// The webhook settings after the update: given URLs pass the request forgery guard (for the mode the organisation
    /// ends up in, so a switch to live re-checks for https), and a rotation keeps the old secret signing for the overlap.
    /// </summary>
    private async Task<WebhookSettings> WebhooksAsync(OrganisationFields fields, Organisation organisation, bool rotate, CancellationToken cancellationToken)
    {
        var settings = organisation.Webhooks;
        var urls = new Dictionary<string, string?>();
        foreach (var (field, kind) in OrganisationFields.WebhookUrlFields)
        {
            var url = fields.Form.Has(field) ? fields.Form.Text(field, WebhookUrls.MaxLength + 1) : settings.UrlFor(kind);
            if (url is not null && (fields.Form.Has(field) || fields.Mode is not null))
            {
                await webhookUrls.CheckAsync(fields.Form.FieldName(field), url, organisation, cancellationToken);
            }
            urls[kind] = url;
        }
        settings = settings with
        {
            SuccessUrl = urls["success"], ErrorUrl = urls["error"], RefundUrl = urls["refund"], CashierUrl = urls["cashier"],
            CollectionsUrl = urls["collections"],
        };
        if (settings.Secret is null)
        {
            // Organisations made before webhooks existed get their first secret with their first webhook setting.
            return settings with { Secret = WebhookSettings.NewSecret() };
        }
        return rotate
            ? settings with
            {
                Secret = WebhookSettings.NewSecret(),
                PreviousSecret = settings.Secret,
                PreviousSecretUntil = time.GetUtcNow() + webhookOptions.Value.SecretOverlap,
            }
            : settings;
    }
}
