using Gateway.Payments;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.HostedPages;

/// <summary>
/// <c>/eft?payment_key=K</c>: the EFTsecure steps (<see cref="EftSteps"/>) as HTML forms, each a post back to this
/// URL. The bank and account ride from step to step in hidden fields, the step's token in another.
/// </summary>
public static class EftPage
{
    public static Task<IResult> HandleAsync(PageRequest r) => r.RenderAsync(async () =>
    {
        if (!r.IsPost)
        {
            var payment = await r.OpenPayableAsync();
            if (payment.Key.PaymentType == PaymentTypes.Card) return new PageRedirect(OtherPage(r, "card"));
            return Render(r, EftSteps.Start(payment));
        }
        var form = await r.ReadFormAsync();
        return await EftSteps.SubmitAsync(r, form, r.Query("payment_key")) switch
        {
            EftDone done => r.Finish(done.Outcome),
            var next => Render(r, (EftForm)next),
        };
    });

    private static HtmlPage Render(PageRequest r, EftForm form) => form.Step switch
    {
        EftSteps.BankStep => BankPage(r, form),
        EftSteps.LoginStep => LoginPage(r, form),
        _ => ConfirmPage(r, form),
    };

    private static HtmlPage BankPage(PageRequest r, EftForm form)
    {
        var payment = form.Payment;
        var options = Html.Join(Banks.All.Select(b =>
            Html.Of($"<option value=\"{b}\"{new Markup(b == form.Bank ? " selected" : "")}>{b}</option>")));
        var byCard = Html.When(payment.Key.PaymentType is null,
            Html.Of($"<p class=\"note\">Prefer a card? <a id=\"pay-by-card\" href=\"{OtherPage(r, "card")}\">Pay by card instead</a></p>"));
        var body = Html.Of($"""
            <h1>{EftSteps.Title(form)}</h1>
            {PageRequest.Summary(payment)}
            {Html.Problem(form.Problem)}
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", form.Step)}{r.Guard.Field(payment.Key.Key, form.Step)}
            <label for="bank">Your bank</label>
            <select id="bank" name="bank" required><option value="">Choose your bank</option>{options}</select>
            {Actions("Continue")}
            </form>
            {byCard}
            """);
        return r.Page("Pay by EFT", body, Status(form), r.FormTargets(payment.Key));
    }

    private static HtmlPage LoginPage(PageRequest r, EftForm form)
    {
        var body = Html.Of($"""
            <h1>{EftSteps.Title(form)}</h1>
            {PageRequest.Summary(form.Payment)}
            {Html.Problem(form.Problem)}
            <form method="post" action="{r.SelfUrl}" autocomplete="off">
            {Html.Hidden("step", form.Step)}{Html.Hidden("bank", form.Bank!)}{r.Guard.Field(form.Payment.Key.Key, form.Step)}
            <label for="account">Account number</label>
            <input type="text" id="account" name="account" inputmode="numeric" value="{form.Account}" required>
            <label for="password">Internet banking password</label>
            <input type="password" id="password" name="password" required>
            <p class="note">This is a simulated bank: your password is not kept.</p>
            {Actions("Sign in")}
            </form>
            """);
        return r.Page(EftSteps.Title(form), body, Status(form), r.FormTargets(form.Payment.Key));
    }

    private static HtmlPage ConfirmPage(PageRequest r, EftForm form)
    {
        var key = form.Payment.Key;
        var (bank, account) = (form.Bank!, form.Account!);
        var body = Html.Of($"""
            <h1>{EftSteps.Title(form)}</h1>
            {PageRequest.Summary(form.Payment)}
            <dl class="summary">
            <dt>Pay to</dt><dd class="beneficiary">{EftSteps.PayTo(form.Payment)}</dd>
            <dt>From</dt><dd>{bank} account ending {account[^4..]}</dd>
            </dl>
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", form.Step)}{Html.Hidden("bank", bank)}{Html.Hidden("account", account)}{r.Guard.Field(key.Key, form.Step)}
            {Actions($"Pay {Money.Display(key.AmountMinor, key.Currency)}")}
            </form>
            """);
        return r.Page(EftSteps.Title(form), body, formTargets: r.FormTargets(key));
    }

    private static int Status(EftForm form) => form.Problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;

    /// <summary>The submit button and a Cancel that skips the form's own checks (formnovalidate).</summary>
    public static Markup Actions(string submit) => Html.Of($"""
        <div class="actions">
        <button type="submit" class="primary" name="action" value="continue">{submit}</button>
        <button type="submit" class="secondary" name="action" value="cancel" formnovalidate>Cancel</button>
        </div>
        """);

    /// <summary>The other payment page for the same key, in the same mode.</summary>
    internal static string OtherPage(PageRequest r, string page)
    {
        var query = new Dictionary<string, string?> { ["payment_key"] = r.Query("payment_key") };
        if (r.Checkout) query["checkout"] = "1";
        if (r.Query("remember_card") is { } remember) query["remember_card"] = remember;
        if (r.Query("expect") is { } expected) query["expect"] = expected;
        return QueryHelpers.AddQueryString($"{r.Http.Request.PathBase}/{page}", query);
    }
}
