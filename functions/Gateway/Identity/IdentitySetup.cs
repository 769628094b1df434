using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Identity;

/// <summary>Who may call what. Organisation scoping (another organisation's ids are 404) is done by <see cref="Caller"/>.</summary>
public static class Policies
{
    /// <summary>Signed in with username and password (not a token or API key): needed to mint tokens.</summary>
    public const string PasswordLogin = nameof(PasswordLogin);
    public const string Operator = nameof(Operator);

    /// <summary>An organisation's administrator: manages users, licences and keys.</summary>
    public const string UserAdministrator = nameof(UserAdministrator);
    public const string UserAdministratorOrOperator = nameof(UserAdministratorOrOperator);

    /// <summary>An administrator, an operator, or the organisation's API key: may read organisation settings and set its test clock.</summary>
    public const string OrganisationReader = nameof(OrganisationReader);

    /// <summary>Any user of an organisation, administrator or agent.</summary>
    public const string OrganisationUser = nameof(OrganisationUser);

    /// <summary>Takes payments and views transactions: an organisation's users and its API keys.</summary>
    public const string PaymentUser = nameof(PaymentUser);

    /// <summary>
    /// Payment users, plus platform operators acting for an organisation they manage (the documents' "partners":
    /// they name it with <c>organisation_id</c>).
    /// </summary>
    public const string PaymentUserOrPartner = nameof(PaymentUserOrPartner);

    /// <summary>Refunds, lists and exports all of an organisation's transactions: its administrators and API keys.</summary>
    public const string PaymentAdministrator = nameof(PaymentAdministrator);
}

public static class IdentitySetup
{
    internal const string CredentialClaim = "credential";

    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services)
    {
        services.AddOptions<PartitionOptions>()
            .BindConfiguration(PartitionOptions.Section)
            .Validate(o => o.Default is >= 1 and <= PaymentPartitions.Max, "Partitions:Default must be 1 to 100.")
            .ValidateOnStart();
        services.AddOptions<TokenOptions>()
            .BindConfiguration(TokenOptions.Section)
            .Validate(o => o.Lifetime >= TimeSpan.FromMinutes(1) && o.Lifetime <= TimeSpan.FromDays(30),
                "Tokens:Lifetime must be between 1 minute and 30 days.")
            .ValidateOnStart();

        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<PasswordSignIn>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<TokenService>();
        services.AddOptions<SessionOptions>()
            .BindConfiguration(SessionOptions.Section)
            .Validate(o => o.IdleTimeout >= TimeSpan.FromMinutes(1) && o.AbsoluteTimeout >= o.IdleTimeout
                && o.AbsoluteTimeout <= TimeSpan.FromDays(7), "Console:IdleTimeout must be at least a minute and " +
                "Console:AbsoluteTimeout at least that, and at most 7 days.")
            .ValidateOnStart();
        services.AddSingleton<SessionService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<UserService>();
        services.AddSingleton<LicenceService>();
        services.AddSingleton<OrganisationService>();
        services.AddSingleton<OrganisationClock>();

        // An organisation's webhook settings (its URLs, their guard and its signing secrets) belong to the
        // organisation; the Webhooks feature delivers to them.
        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.Section)
            .Validate(o => WebhookOptions.ParseSchedule(o.RetrySchedule) is not null,
                "Webhooks:RetrySchedule must be comma-separated delays such as 1m,5m,2h,1d (each above zero and at most 7 days).")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(5), "Webhooks:Timeout must be above zero and at most 5 minutes.")
            .Validate(o => o.SecretOverlap >= TimeSpan.Zero && o.SweepAfter >= TimeSpan.FromMinutes(1),
                "Webhooks:SecretOverlap must not be negative and Webhooks:SweepAfter must be at least a minute.")
            .ValidateOnStart();

        // Tests replace the resolver to test the guard without real DNS.
        ResolveHost dns = Dns.GetHostAddressesAsync;
        services.TryAddSingleton(dns);
        services.AddSingleton<WebhookUrls>();

        // No default scheme: only endpoints with a policy read credentials, so anonymous ones (health, unknown
        // routes) never spend a password hash on whatever Authorization header comes with them. ASP.NET would make
        // the only registered scheme the default for every request unless told not to.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, GatewayAuthentication>(GatewayAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(Policy().Build())
            .AddPolicy(Policies.PasswordLogin, Policy().RequireClaim(CredentialClaim, "basic").Build())
            .AddPolicy(Policies.Operator, Policy().RequireRole(Roles.Operator).Build())
            .AddPolicy(Policies.UserAdministrator, Policy().RequireRole(Roles.Administrator).Build())
            .AddPolicy(Policies.UserAdministratorOrOperator, Policy().RequireRole(Roles.Administrator, Roles.Operator).Build())
            .AddPolicy(Policies.OrganisationReader, Policy().RequireRole(Roles.Administrator, Roles.Operator, Roles.ApiKey).Build())
            .AddPolicy(Policies.OrganisationUser, Policy().RequireRole(Roles.Administrator, Roles.Agent).Build())
            .AddPolicy(Policies.PaymentUser, Policy().RequireRole(Roles.Administrator, Roles.Agent, Roles.ApiKey).Build())
            .AddPolicy(Policies.PaymentUserOrPartner, Policy().RequireRole(Roles.Administrator, Roles.Agent, Roles.ApiKey, Roles.Operator).Build())
            .AddPolicy(Policies.PaymentAdministrator, Policy().RequireRole(Roles.Administrator, Roles.ApiKey).Build());
        return services;
    }

    private static AuthorizationPolicyBuilder Policy() =>
        new AuthorizationPolicyBuilder(GatewayAuthentication.SchemeName).RequireAuthenticatedUser();
}
