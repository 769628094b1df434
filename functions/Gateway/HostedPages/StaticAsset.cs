namespace Gateway.HostedPages;

/// <summary>The gateway's files that merchants' pages load from it: the checkout widget, the EFT plugin and its style.</summary>
public static class StaticAsset
{
    public const string JavaScript = "application/javascript; charset=utf-8";
    public const string Css = "text/css; charset=utf-8";

    public static IResult Serve(HttpResponse response, string text, string contentType)
    {
        // Short caching: merchants' pages load them on every payment, and a fix should reach them within minutes.
        response.Headers.CacheControl = "public, max-age=300";
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Text(text, contentType);
    }
}
