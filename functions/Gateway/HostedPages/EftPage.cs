using Gateway.Api;
using Gateway.Payments;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.HostedPages;

/// <summary>
/// <c>/eft?payment_key=K</c>: the EFTsecure flow in three steps (choose bank, sign in to the simulated bank,
/// confirm), each a post back to this URL. The bank and account ride from step to step in hidden fields; the
/// password is only checked for presence and goes nowhere: not into a field, a log or storage.
/// </summary>
public static class EftPage
{
    public const string BankStep = "bank";
    public const string LoginStep = "login";
    public const string ConfirmStep = "confirm";

    public static Task<IResult> HandleAsync(PageRequest r) => r.RenderAsync(async () =>
    {
        if (!r.IsPost)
        {
            var payment = await r.OpenPayableAsync();
            if (payment.Key.PaymentType == PaymentTypes.Card) return new PageRedirect(OtherPage(r, "card"));
            return BankPage(r, payment, payment.Key.CustomerBank, problem: null);
        }

        var form = await r.ReadFormAsync();
        var step = form.Text("step", 16);
        var key = r.Query("payment_key") ?? "";
        if (step is not (BankStep or LoginStep or ConfirmStep)) throw ApiException.Forbidden("This form was not sent from the payment page.");
        r.Guard.RequireToken(form, key, step);
        var paying = await r.OpenPayableAsync();
        if (paying.Key.PaymentType == PaymentTypes.Card) throw ApiException.BadRequest($"This payment can only be made by {PaymentTypes.Card}.");
        if (form.Text("action", 16) == "cancel") return r.Finish(await r.Hosted.CancelAsync(paying, PaymentTypes.Eft, PageRequest.Uncancellable));

        var bank = Banks.Find(form.Text("bank", 32) ?? "");
        if (bank is null) return BankPage(r, paying, null, "Choose your bank.");
        if (step == BankStep) return LoginPage(r, paying, bank, null, null);

        var account = form.Text("account", 32);
        if (account is null || account.Length is < 6 or > 16 || !account.All(char.IsAsciiDigit))
        {
            return LoginPage(r, paying, bank, account, "Enter your account number: 6 to 16 digits.");
        }
        if (step == LoginStep)
        {
            // The simulated bank only needs a password to be given; the value is dropped here.
            if (form.Secret("password", 128) is null) return LoginPage(r, paying, bank, account, "Enter your internet banking password.");
            return ConfirmPage(r, paying, bank, account);
        }
        return r.Finish(await r.Hosted.PayByEftAsync(paying, bank, account, PageRequest.Uncancellable));
    });

    private static HtmlPage BankPage(PageRequest r, HostedPayment payment, string? selected, string? problem)
    {
        var options = Html.Join(Banks.All.Select(b =>
            Html.Of($"<option value=\"{b}\"{new Markup(b == selected ? " selected" : "")}>{b}</option>")));
        var byCard = Html.When(payment.Key.PaymentType is null,
            Html.Of($"<p class=\"note\">Prefer a card? <a id=\"pay-by-card\" href=\"{OtherPage(r, "card")}\">Pay by card instead</a></p>"));
        var body = Html.Of($"""
            <h1>Pay by instant EFT</h1>
            {PageRequest.Summary(payment)}
            {Html.Problem(problem)}
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", BankStep)}{r.Guard.Field(payment.Key.Key, BankStep)}
            <label for="bank">Your bank</label>
            <select id="bank" name="bank" required><option value="">Choose your bank</option>{options}</select>
            {Actions("Continue")}
            </form>
            {byCard}
            """);
        return r.Page("Pay by EFT", body, problem is null ? 200 : 400, r.FormTargets(payment.Key));
    }

    private static HtmlPage LoginPage(PageRequest r, HostedPayment payment, string bank, string? account, string? problem)
    {
        var body = Html.Of($"""
            <h1>Sign in to {bank}</h1>
            {PageRequest.Summary(payment)}
            {Html.Problem(problem)}
            <form method="post" action="{r.SelfUrl}" autocomplete="off">
            {Html.Hidden("step", LoginStep)}{Html.Hidden("bank", bank)}{r.Guard.Field(payment.Key.Key, LoginStep)}
            <label for="account">Account number</label>
            <input type="text" id="account" name="account" inputmode="numeric" value="{account}" required>
            <label for="password">Internet banking password</label>
            <input type="password" id="password" name="password" required>
            <p class="note">This is a simulated bank: your password is not kept.</p>
            {Actions("Sign in")}
            </form>
            """);
        return r.Page($"Sign in to {bank}", body, problem is null ? 200 : 400, r.FormTargets(payment.Key));
    }

    private static HtmlPage ConfirmPage(PageRequest r, HostedPayment payment, string bank, string account)
    {
        var (key, organisation) = payment;
        var beneficiary = key.Beneficiary is { } b ? $"{b.Name} ({b.Bank})" : organisation.Name;
        var body = Html.Of($"""
            <h1>Confirm your payment</h1>
            {PageRequest.Summary(payment)}
            <dl class="summary">
            <dt>Pay to</dt><dd class="beneficiary">{beneficiary}</dd>
            <dt>From</dt><dd>{bank} account ending {account[^4..]}</dd>
            </dl>
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", ConfirmStep)}{Html.Hidden("bank", bank)}{Html.Hidden("account", account)}{r.Guard.Field(key.Key, ConfirmStep)}
            {Actions($"Pay {Money.Display(key.AmountMinor, key.Currency)}")}
            </form>
            """);
        return r.Page("Confirm your payment", body, formTargets: r.FormTargets(key));
    }

    /// <summary>The submit button and a Cancel that skips the form's own checks (formnovalidate).</summary>
    internal static Markup Actions(string submit) => Html.Of($"""
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
        return QueryHelpers.AddQueryString($"{r.Http.Request.PathBase}/{page}", query);
    }
}
