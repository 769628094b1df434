using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Gateway.Identity;

/// <summary>Who may call what. Organisation scoping (another organisation's ids are 404) is done by <see cref="Caller"/>.</summary>
public static class Policies
{
    /// <summary>Signed in with username and password (not a token or API key): needed to mint tokens.</summary>
    public const string PasswordLogin = nameof(PasswordLogin);
    public const string Operator = nameof(Operator);

    /// <summary>An organisation's administrator user (not an API key): manages users, licences and keys.</summary>
    public const string UserAdministrator = nameof(UserAdministrator);
    public const string UserAdministratorOrOperator = nameof(UserAdministratorOrOperator);

    /// <summary>An administrator user, an organisation's API key, or an operator: may read organisation settings.</summary>
    public const string AdministratorOrOperator = nameof(AdministratorOrOperator);

    /// <summary>Any user of an organisation, administrator or agent.</summary>
    public const string OrganisationUser = nameof(OrganisationUser);
}

public static class IdentitySetup
{
    internal const string CredentialClaim = "credential";

    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services)
    {
        services.AddOptions<TokenOptions>()
            .BindConfiguration(TokenOptions.Section)
            .Validate(o => o.Lifetime >= TimeSpan.FromMinutes(1) && o.Lifetime <= TimeSpan.FromDays(30),
                "Tokens:Lifetime must be between 1 minute and 30 days.")
            .ValidateOnStart();

        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<UserService>();
        services.AddSingleton<LicenceService>();
        services.AddSingleton<OrganisationService>();
        services.AddScoped<TokenSweep>();

        services.AddAuthentication(GatewayAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, GatewayAuthentication>(GatewayAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.PasswordLogin, p => p.RequireClaim(CredentialClaim, "basic"))
            .AddPolicy(Policies.Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Policies.UserAdministrator, p => p.RequireRole(Roles.Administrator).RequireClaim(CredentialClaim, "basic", "bearer"))
            .AddPolicy(Policies.UserAdministratorOrOperator, p => p.RequireAssertion(c =>
                c.User.IsInRole(Roles.Operator) || (c.User.IsInRole(Roles.Administrator) && !IsApiKey(c.User))))
            .AddPolicy(Policies.AdministratorOrOperator, p => p.RequireRole(Roles.Administrator, Roles.Operator))
            .AddPolicy(Policies.OrganisationUser, p => p.RequireRole(Roles.Administrator, Roles.Agent).RequireClaim(CredentialClaim, "basic", "bearer"));
        return services;
    }

    private static bool IsApiKey(ClaimsPrincipal user) => user.HasClaim(CredentialClaim, "api-key");
}
