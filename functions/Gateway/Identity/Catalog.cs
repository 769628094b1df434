namespace Gateway.Identity;

/// <summary>User roles. Organisations have administrators and agents; operators run the platform itself.</summary>
public static class Roles
{
    /// <summary>Manages the organisation and its users.</summary>
    public const string Administrator = "administrator";

    /// <summary>A call-centre agent that uses the services it is licensed for.</summary>
    public const string Agent = "agent";

    /// <summary>A platform operator: creates organisations and decides their mode. Belongs to no organisation.</summary>
    public const string Operator = "operator";

    /// <summary>
    /// Not a user's role: what an organisation's API key acts as. Keys may read their organisation (and, in later
    /// APIs, take payments) but never manage users, licences, keys or tokens, which need a person's credentials.
    /// </summary>
    public const string ApiKey = "api-key";

    /// <summary>The roles an organisation's users may be given through the API.</summary>
    public static IReadOnlyList<string> Organisation { get; } = [Administrator, Agent];
}

/// <summary>A licensable service. <see cref="Key"/> names it in activation responses.</summary>
public sealed record Service(int Id, string Name, string Key);

/// <summary>
/// The service ids of the API documents' "Available Service IDs" tables (11, 12, 13, 16), plus the call-centre
/// services 1–3 (Agent Assist, Agent Monitor, Agent Request) that the licence examples use as ids 1 and 2.
/// </summary>
public static class Services
{
    public const int NotifyExpress = 11;
    public const int EftX = 12;
    public const int Direct = 13;
    public const int PayPerToken = 16;

    public static IReadOnlyList<Service> All { get; } =
    [
        new(1, "Agent Assist", "agent_assist"),
        new(2, "Agent Monitor", "agent_monitor"),
        new(3, "Agent Request", "agent_request"),
        new(NotifyExpress, "Notify Express", "notify_express"),
        new(EftX, "EftX", "eftx"),
        new(Direct, "Direct", "direct"),
        new(PayPerToken, "Pay per token", "pay_per_token"),
    ];

    public static Service? Find(int id) => All.FirstOrDefault(s => s.Id == id);
}

/// <summary>A payment gateway (acquirer) a transaction can go through.</summary>
public sealed record PaymentGateway(int Id, string Name);

/// <summary>The "Available Gateway IDs" of the API documents.</summary>
public static class PaymentGateways
{
    public static IReadOnlyList<PaymentGateway> All { get; } = [new(1, "PayU"), new(28, "Imbeko")];
}
