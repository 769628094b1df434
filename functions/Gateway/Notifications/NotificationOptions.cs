namespace Gateway.Notifications;

/// <summary>How notifications leave the gateway, bound from the <c>Notifications</c> section and validated at start-up.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    public SmsOptions Sms { get; set; } = new();
    public EmailOptions Email { get; set; } = new();

    public IEnumerable<string> Problems()
    {
        if (Sms.Provider is not (SmsOptions.Local or SmsOptions.Http)) yield return "Notifications:Sms:Provider must be local or http.";
        if (Sms.Provider == SmsOptions.Http)
        {
            if (!Uri.TryCreate(Sms.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.UserInfo.Length > 0)
            {
                yield return "Notifications:Sms:Url must be the SMS gateway's absolute http(s) URL (no credentials in it).";
            }
            if (string.IsNullOrWhiteSpace(Sms.Token)) yield return "Notifications:Sms:Token (the SMS gateway's bearer token) is required with the http provider.";
        }
        if (Sms.Timeout <= TimeSpan.Zero || Sms.Timeout > TimeSpan.FromMinutes(1)) yield return "Notifications:Sms:Timeout must be between 0 and 1 minute.";
        if (Email.Provider is not EmailOptions.Local) yield return "Notifications:Email:Provider must be local (no other e-mail provider is built in yet).";
    }
}

public sealed class SmsOptions
{
    public const string Local = "local";
    public const string Http = "http";

    /// <summary><c>local</c> keeps messages in the Notifications table; <c>http</c> posts them to an SMS gateway.</summary>
    public string Provider { get; set; } = Local;

    /// <summary>The SMS gateway's endpoint; it receives <c>{"to", "message", "reference"}</c> as JSON.</summary>
    public string? Url { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>. A secret: set it from the environment or a key vault, not a file.</summary>
    public string? Token { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class EmailOptions
{
    public const string Local = "local";

    public string Provider { get; set; } = Local;
}
