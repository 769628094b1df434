using System.Security.Cryptography;
using System.Text;
using Gateway.HostedPages;

namespace Gateway.MerchantConsole;

/// <summary>
/// A console page: the layout (the navigation of the signed-in user's role, and sign-out) around its body. Every
/// page sends a Content-Security-Policy with no script at all and its one inline style under a nonce, is never framed
/// (<c>frame-ancestors 'none'</c>) and never stored by a cache, since it shows a signed-in merchant's data.
/// </summary>
public sealed class ConsolePage(string title, Markup body) : IResult
{
    public int Status { get; init; } = StatusCodes.Status200OK;

    /// <summary>Who is signed in, for the navigation; null on the sign-in page.</summary>
    public ConsoleUser? User { get; init; }

    /// <summary>The navigation entry this page belongs to.</summary>
    public string? Section { get; init; }

    public string Title => title;

    /// <summary>What an action did, announced to screen readers; nothing when it did nothing.</summary>
    public static Markup Notice(string? done) =>
        done is null ? Markup.Empty : Html.Of($"<p class=\"done\" role=\"status\">{done}</p>");

    /// <summary>The navigation: every user's sections, then the administrators'.</summary>
    private static readonly (string Section, string Text)[] Everyone = [("home", "Home"), ("transactions", "Transactions")];

    private static readonly (string Section, string Text)[] Administrators =
    [
        ("webhooks", "Webhooks"), ("schedules", "Schedules"), ("payouts", "Payouts"), ("collections", "Collections"),
        ("users", "Users"), ("credentials", "Credentials"), ("settings", "Settings"),
    ];

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = "text/html; charset=utf-8";
        PageHeaders.Apply(response);
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; " +
            "frame-ancestors 'none'";
        var page = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Merchant console</title>
            <style nonce="{nonce}">{new Markup(ConsoleStyle.Css)}</style>
            </head>
            <body>
            {Header()}
            <main{(User is null ? new Markup(" class=\"narrow\"") : Markup.Empty)}>
            {body}
            </main>
            </body>
            </html>
            """);
        return response.WriteAsync(page.Value, Encoding.UTF8, httpContext.RequestAborted);
    }

    private Markup Header()
    {
        if (User is not { } user) return Html.Of($"<header><span class=\"brand\">Merchant console</span></header>");
        // Codes belong to the organisation's own users; operators look after the organisation as a whole.
        var sections = Everyone.Concat(user.IsOperator ? [] : [("codes", "Codes")]).Concat(user.SeesEverything ? Administrators : []);
        var links = Html.Join(sections.Select(l => Section == l.Section
            ? Html.Of($"<a href=\"/console/{l.Section}\" aria-current=\"page\">{l.Text}</a> ")
            : Html.Of($"<a href=\"/console/{l.Section}\">{l.Text}</a> ")));
        return Html.Of($"""
            <header>
            <span class="brand">{user.Organisation.Name}</span>
            <nav aria-label="Console">{links}</nav>
            <span>{user.User.Username} ({user.User.Role})</span>
            {Html.When(user.IsOperator, Html.Of($"<a href=\"/console/organisations\">Switch organisation</a>"))}
            <form method="post" action="/console/sign-out">{user.CsrfField}<button type="submit">Sign out</button></form>
            </header>
            """);
    }
}
