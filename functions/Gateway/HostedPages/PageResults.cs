using System.Security.Cryptography;
using System.Text;

namespace Gateway.HostedPages;

/// <summary>
/// What every hosted page response carries. The pages are for payers' browsers: nothing may be cached (they show
/// amounts and links that carry the payment key), sniffed or framed (except in checkout mode, by the merchant's
/// own origins: see <see cref="PageRequest.FrameAncestors"/>), and the Referer leaves only to the gateway itself, so a payment key in the URL never
/// reaches another site. <c>same-origin</c> rather than <c>no-referrer</c>: under <c>no-referrer</c> browsers send
/// <c>Origin: null</c> on every form POST, and the pages' origin check (see <see cref="PageGuard"/>) needs the real one.
/// </summary>
public static class PageHeaders
{
    public static void Apply(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "same-origin";
    }
}

/// <summary>
/// A hosted page: the shared layout around its body, with a Content-Security-Policy that allows only the
/// page's own inline style and script (by a nonce new for each response), forms posting to the gateway and the
/// merchant origins the gateway redirects to after a post (Chromium checks form-action on those redirects too).
/// </summary>
public sealed class HtmlPage(string title, Markup body) : IResult
{
    public int Status { get; init; } = StatusCodes.Status200OK;

    /// <summary>Inline script, a constant of this folder (never built from request data).</summary>
    public string? Script { get; init; }

    /// <summary>Origins besides the gateway that forms on this page may end up at (merchant redirect URLs).</summary>
    public IReadOnlyCollection<string> FormTargets { get; init; } = [];

    /// <summary>The dark theme a merchant may ask for (the cashier's <c>theme</c>).</summary>
    public bool Dark { get; init; }

    /// <summary>Checkout mode: the merchant origins whose pages may frame this one; none, no framing.</summary>
    public IReadOnlyCollection<string> FrameAncestors { get; init; } = [];

    public string Title => title;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = "text/html; charset=utf-8";
        PageHeaders.Apply(response);
        response.Headers.ContentSecurityPolicy = Policy(nonce);

        var script = Script is null ? Markup.Empty : Html.Of($"<script nonce=\"{nonce}\">{new Markup(Script)}</script>");
        var page = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title}</title>
            <style nonce="{nonce}">{new Markup(PageStyle.Css)}</style>
            </head>
            <body{(Dark ? new Markup(" class=\"dark\"") : Markup.Empty)}>
            <main>
            {body}
            </main>
            {script}
            </body>
            </html>
            """);
        return response.WriteAsync(page.Value, Encoding.UTF8, httpContext.RequestAborted);
    }

    private string Ancestors => FrameAncestors.Count == 0 ? "'none'" : string.Join(' ', FrameAncestors);

    private string Policy(string nonce)
    {
        var formAction = string.Join(' ', new[] { "'self'" }.Concat(FormTargets.Distinct(StringComparer.Ordinal)));
        return $"default-src 'none'; style-src 'nonce-{nonce}'; "
            + (Script is null ? "" : $"script-src 'nonce-{nonce}'; ")
            + $"form-action {formAction}; base-uri 'none'; frame-ancestors {Ancestors}";
    }
}

/// <summary>303 See Other after a form post, so a reload never posts twice; with the pages' headers.</summary>
public sealed class PageRedirect(string url) : IResult
{
    public string Url => url;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status303SeeOther;
        PageHeaders.Apply(response);
        response.Headers.Location = url;
        return Task.CompletedTask;
    }
}
