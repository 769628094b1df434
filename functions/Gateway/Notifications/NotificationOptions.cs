namespace Gateway.Notifications;

/// <summary>How notifications leave the gateway, bound from the <c>Notifications</c> section and validated at start-up.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>
    /// The queue NotificationSender listens on. Its trigger names it as <c>%Notifications:Queue%</c>, which the
    /// Functions host resolves from the app settings (<c>Notifications__Queue</c>), so set it there too.
    /// </summary>
    public string Queue { get; set; } = "notifications";

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
        if (Email.Provider is not (EmailOptions.Local or EmailOptions.SmtpProvider)) yield return "Notifications:Email:Provider must be local or smtp.";
        if (Email.Provider == EmailOptions.SmtpProvider)
        {
            var smtp = Email.Smtp;
            if (string.IsNullOrWhiteSpace(smtp.Host)) yield return "Notifications:Email:Smtp:Host is required with the smtp provider.";
            if (smtp.Port is < 1 or > 65535) yield return "Notifications:Email:Smtp:Port must be a TCP port.";
            if (!System.Net.Mail.MailAddress.TryCreate(smtp.From, out _)) yield return "Notifications:Email:Smtp:From must be an e-mail address.";
            // Empty is unset: an app setting cannot be removed by a template, only emptied.
            if (string.IsNullOrEmpty(smtp.Username) != string.IsNullOrEmpty(smtp.Password)) yield return "Notifications:Email:Smtp:Username and Password go together.";
            if (smtp.Timeout <= TimeSpan.Zero || smtp.Timeout > TimeSpan.FromMinutes(2)) yield return "Notifications:Email:Smtp:Timeout must be between 0 and 2 minutes.";
        }
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
    public const string SmtpProvider = "smtp";

    /// <summary><c>local</c> keeps messages in the Notifications table; <c>smtp</c> hands them to a mail server.</summary>
    public string Provider { get; set; } = Local;

    public SmtpOptions Smtp { get; set; } = new();
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;

    /// <summary>STARTTLS. Off only for a relay on the same host or network, which is then trusted with the links.</summary>
    public bool EnableSsl { get; set; } = true;
    public string? From { get; set; }
    public string? Username { get; set; }

    /// <summary>A secret: set it from the environment or a key vault, not a file.</summary>
    public string? Password { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
