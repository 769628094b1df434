using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Gateway.HostedPages;

/// <summary>One request to a hosted page, with what the pages use.</summary>
public sealed record PageRequest(HttpContext Http, HostedPayments Hosted, PaymentService Payments, PaymentStore Store,
    IdentityStore Identity, PaymentSecrets Secrets, IOptions<PaymentOptions> Options, TimeProvider Time)
{
    public const string CheckoutNextPurpose = "checkout-next";

    /// <summary>How long the checkout hand-over page accepts its signed URL: the payer is sent there at once.</summary>
    public static readonly TimeSpan CheckoutNextLifetime = TimeSpan.FromMinutes(15);

    /// <summary>The page request for <paramref name="request"/>, its services from the app's container.</summary>
    public static PageRequest For(HttpRequest request) =>
        ActivatorUtilities.CreateInstance<PageRequest>(request.HttpContext.RequestServices, request.HttpContext);

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>For posts that move money: they run to the end even if the payer closes the tab (see PaymentsApi).</summary>
    public static CancellationToken Uncancellable => CancellationToken.None;

    public bool IsPost => HttpMethods.IsPost(Http.Request.Method);

    /// <summary>Opened by the checkout widget, inside the merchant's page.</summary>
    public bool Checkout => Query("checkout") == "1";

    public string GatewayOrigin => Options.Value.BaseUri.GetLeftPart(UriPartial.Authority);

    public PageGuard Guard => new(Secrets, GatewayOrigin);

    /// <summary>Forms post back to the page's own URL, query included (payment key, checkout mode).</summary>
    public string SelfUrl => Http.Request.PathBase + Http.Request.Path + Http.Request.QueryString;

    /// <summary>A query value given once, else null (a repeated parameter is nobody's honest link).</summary>
    public string? Query(string name) => Http.Request.Query[name] is { Count: 1 } values ? values[0] : null;

    /// <summary>For POSTs: refuses other sites' posts before reading the body, then reads the form.</summary>
    public async Task<FormSection> ReadFormAsync()
    {
        Guard.RefuseCrossSite(Http.Request);
        return (await RequestForm.ReadAsync(Http.Request)).Root;
    }

    /// <summary>The payment key of the URL, if it can still be paid; else the 404, 410 or 409 the payer sees.</summary>
    public Task<HostedPayment> OpenPayableAsync() => OpenPayableAsync(Query("payment_key"));

    /// <summary>The payment key <paramref name="key"/>, if it can still be paid; else the 404, 410 or 409.</summary>
    public async Task<HostedPayment> OpenPayableAsync(string? key)
    {
        var opened = key is null ? null : await Hosted.OpenAsync(key, Aborted);
        if (opened is null) throw ApiException.NotFound("This payment link is not valid.");
        FramedKey = opened.Key;
        HostedPayments.RefuseUnpayable(opened.Key, opened.Organisation.Now(Time), Time.GetUtcNow());
        // A payable code's page sends the payer on with the amount they chose (expect=minor units): if another payer
        // changed the shared key's amount since, this one is stopped rather than shown, or charged, theirs.
        if (Query("expect") is { } expected
            && expected != opened.Key.AmountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw ApiException.Conflict("The amount of this payment has changed; open the code again.");
        }
        return opened;
    }

    /// <summary>
    /// Where the payer goes after a post. In checkout mode the flow stays in the frame up to a gateway page that
    /// hands the merchant URL to the widget (see <see cref="ReceiptPage"/>); the URL is signed, so that page can
    /// only ever pass on a URL the gateway chose.
    /// </summary>
    public IResult Finish(HostedOutcome outcome)
    {
        if (!Checkout) return new PageRedirect(outcome.RedirectUrl);
        if (outcome.Transaction.Status == TransactionStatus.Pending)
        {
            return new PageRedirect(QueryHelpers.AddQueryString(outcome.RedirectUrl, "checkout", "1"));
        }
        var key = outcome.Transaction.PaymentKey;
        var expires = (Time.GetUtcNow() + CheckoutNextLifetime).ToUnixTimeSeconds()
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new PageRedirect(QueryHelpers.AddQueryString(new Uri(Options.Value.BaseUri, "receipt").ToString(),
            new Dictionary<string, string?>
            {
                ["checkout"] = "1",
                ["payment_key"] = key,
                ["expires"] = expires,
                ["next"] = outcome.RedirectUrl,
                ["sig"] = Secrets.Sign(CheckoutNextPurpose, CheckoutNextSigned(key, expires, outcome.RedirectUrl)),
            }));
    }

    /// <summary>
    /// What the hand-over's signature covers: the URL, the payment key it finishes and when it stops being valid,
    /// so a signed URL can neither be replayed later nor moved to another payment.
    /// </summary>
    public static string CheckoutNextSigned(string paymentKey, string expires, string next) =>
        $"{paymentKey}\n{expires}\n{next}";

    /// <summary>
    /// Origins a form post on a page may be redirected to: the merchant's URLs of the key (or of a direct payment)
    /// and the gateway's public address, which can differ from the origin the page was reached at behind a proxy.
    /// </summary>
    public IReadOnlyCollection<string> FormTargets(params string?[] urls) => Origins(urls.Append(Options.Value.PublicBaseUrl));

    public IReadOnlyCollection<string> FormTargets(PaymentKey key) =>
        FormTargets(key.SuccessUrl, key.ErrorUrl, key.CancelUrl, key.PendingUrl);

    /// <summary>
    /// The payment key this request's pages belong to, once opened: in checkout mode (<c>checkout=1</c>) its pages,
    /// error pages included, may be framed by the origins of the key's own merchant URLs, the site the documents say
    /// a checkout key must name. Nothing else is framable: a key with no URLs was not set up for the widget, and
    /// adding <c>checkout=1</c> to a link cannot make its pages framable by anyone.
    /// </summary>
    public PaymentKey? FramedKey { get; set; }

    public IReadOnlyCollection<string> FrameAncestors =>
        Checkout && FramedKey is { } key ? Origins([key.SuccessUrl, key.ErrorUrl, key.CancelUrl, key.PendingUrl]) : [];

    private static IReadOnlyCollection<string> Origins(IEnumerable<string?> urls) =>
    [
        .. urls
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null)
            .OfType<Uri>()
            .Select(uri => $"{uri.Scheme}://{uri.IdnHost}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}")
            .Distinct(StringComparer.OrdinalIgnoreCase),
    ];

    public HtmlPage Page(string title, Markup body, int status = StatusCodes.Status200OK,
        IReadOnlyCollection<string>? formTargets = null) =>
        new(title, body) { Status = status, FormTargets = formTargets ?? [], FrameAncestors = FrameAncestors };

    /// <summary>A problem the payer should see, as a page with its status: never the API's JSON error.</summary>
    public HtmlPage Error(int status, string message)
    {
        var title = status switch
        {
            StatusCodes.Status404NotFound => "Payment link not found",
            StatusCodes.Status410Gone => "Payment link expired",
            StatusCodes.Status409Conflict => "Payment not possible",
            StatusCodes.Status403Forbidden => "Request refused",
            StatusCodes.Status400BadRequest => "Payment not possible",
            StatusCodes.Status503ServiceUnavailable => "Please try again shortly",
            _ => "Something went wrong",
        };
        var hint = status >= 500 ? Html.Of($"<p class=\"note\">Reference: {Http.TraceIdentifier}</p>") : Markup.Empty;
        return Page(title, Html.Of($"<h1>{title}</h1><p class=\"problem\" role=\"alert\">{message}</p>{hint}"), status);
    }

    /// <summary>Runs a page's handler, turning the payer-facing failures it throws into pages.</summary>
    public async Task<IResult> RenderAsync(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ApiException problem)
        {
            return Error(problem.Status, problem.Message);
        }
        catch (Exception error) when (!Http.RequestAborted.IsCancellationRequested && Platform.StorageFaults.IsUnavailable(error))
        {
            // Nothing was taken: a payment commits in one write, which either landed or did not; the payer may retry.
            Http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.HostedPages")
                .LogWarning("Storage did not answer: {Reason}", Platform.StorageFaults.Describe(error));
            Http.Response.Headers.RetryAfter = ((int)Platform.StorageFaults.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Error(StatusCodes.Status503ServiceUnavailable,
                "The payment service is briefly unavailable. Please check with the merchant before you try to pay again.");
        }
        catch (Exception error) when (!Http.RequestAborted.IsCancellationRequested)
        {
            // A payer gets a page, not the API's JSON error, even for a fault of ours.
            Http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.HostedPages").LogError(error, "Unhandled error");
            return Error(StatusCodes.Status500InternalServerError, "Something went wrong on our side. Please check with the merchant before you try to pay again.");
        }
    }

    /// <summary>Merchant, amount and references, at the top of every payment step.</summary>
    public static Markup Summary(HostedPayment payment)
    {
        var (key, organisation) = payment;
        var customer = key.CustomerReference is null ? Markup.Empty : Html.Of($"<dt>Your reference</dt><dd>{key.CustomerReference}</dd>");
        return Html.Of($"""
            <dl class="summary">
            <dt>Merchant</dt><dd class="merchant">{organisation.Name}</dd>
            <dt>Amount</dt><dd class="amount">{Money.Display(key.AmountMinor, key.Currency)}</dd>
            <dt>Reference</dt><dd class="reference">{key.MerchantReference}</dd>
            {customer}
            </dl>
            """);
    }
}
