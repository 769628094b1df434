using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Payments;

namespace Gateway.Cashier;

/// <summary>
/// The user's cashier page, <c>/cashier/{token}</c>, in the hosted pages' look and headers, light or dark as the
/// merchant asked. A deposit lists the deposit providers (a direct deposit goes straight to its provider's form); a
/// payout lists the payout providers. Posts carry the pages' form token; the simulator's 3-D Secure page is
/// <c>/cashier/{token}/3ds</c>. Card numbers and CVCs are only ever passed to the acquirer, never stored or shown.
/// </summary>
public static class CashierPage
{
    private const string Step = "cashier";
    private const string ChallengeStep = "cashier-3ds";

    /// <summary>The banks the simulated EFT and bank-transfer providers offer.</summary>
    public static readonly IReadOnlyList<string> Banks = ["ABSA", "Capitec", "FNB", "Nedbank", "Standard Bank"];

    public static Task<IResult> HandleAsync(PageRequest r, CashierService cashier, string token) => r.RenderAsync(async () =>
    {
        var t = await cashier.OpenPageAsync(token, r.Aborted);
        if (t.Stage == CashierStages.Authenticating) return new PageRedirect($"/cashier/{token}/3ds");
        if (t.Stage != CashierStages.Session) return Outcome(r, t);
        var provider = Chosen(r, t);
        if (!r.IsPost) return provider is null ? Providers(r, t) : Form(r, t, provider, null);

        var form = await r.ReadFormAsync();
        r.Guard.RequireToken(form, token, Step);
        provider = int.TryParse(form.Text("provider", 9), out var id) ? CashierProviders.Find(id) : null;
        if (provider is null || !t.Offered.Contains(provider.Id) || (t.Flow == "direct" && provider.Id != t.ProviderId))
        {
            throw ApiException.BadRequest("This payment method is not offered here.");
        }
        try
        {
            var now = r.Time.GetUtcNow();
            var done = provider.Method switch
            {
                "card" => await cashier.DepositByCardAsync(t, CardDetails.Read(form, now, TimeZoneInfo.Utc), Amount(form),
                    PageRequest.Uncancellable),
                "eft" => await cashier.DepositByEftAsync(t, Bank(form), Account(form), Amount(form), PageRequest.Uncancellable),
                _ => await cashier.RequestPayoutAsync(t, form.Text("holder", 100) ?? throw ApiException.BadRequest("holder", "is required."),
                    Bank(form), Account(form), PageRequest.Uncancellable),
            };
            return new PageRedirect(done.Stage == CashierStages.Authenticating ? $"/cashier/{token}/3ds" : $"/cashier/{token}");
        }
        catch (ApiException invalid) when (invalid.Status == StatusCodes.Status400BadRequest)
        {
            return Form(r, t, provider, invalid.Message);
        }
    });

    /// <summary>The simulator's 3-D Secure page: the user passes or fails the challenge.</summary>
    public static Task<IResult> ChallengeAsync(PageRequest r, CashierService cashier, string token) => r.RenderAsync(async () =>
    {
        var t = await cashier.OpenPageAsync(token, r.Aborted);
        if (t.Stage != CashierStages.Authenticating) return new PageRedirect($"/cashier/{token}");
        if (r.IsPost)
        {
            var form = await r.ReadFormAsync();
            r.Guard.RequireToken(form, token, ChallengeStep);
            await cashier.CompleteChallengeAsync(t, form.Text("outcome", 8) == "pass", PageRequest.Uncancellable);
            return new PageRedirect($"/cashier/{token}");
        }
        var body = Html.Of($"""
            <h1>Confirm your deposit</h1>
            {Summary(t)}
            <p>Your bank asks you to confirm this card payment (3-D Secure, simulated in test mode).</p>
            <form method="post" action="{r.SelfUrl}">
            {r.Guard.Field(token, ChallengeStep)}
            <div class="actions">
            <button type="submit" class="primary" name="outcome" value="pass">Authenticate</button>
            <button type="submit" class="secondary" name="outcome" value="fail">Fail authentication</button>
            </div>
            </form>
            """);
        return Page(r, t, "Confirm your deposit", body);
    });

    private static CashierProvider? Chosen(PageRequest r, CashierTransaction t)
    {
        if (t.Flow == "direct") return t.Provider;
        List<CashierProvider> offered = [.. t.Offered.Select(CashierProviders.Find).OfType<CashierProvider>()];
        if (offered.Count == 1) return offered[0];
        return int.TryParse(r.Query("provider"), out var id) ? offered.FirstOrDefault(p => p.Id == id) : null;
    }

    private static HtmlPage Providers(PageRequest r, CashierTransaction t)
    {
        var links = Html.Join(t.Offered.Select(CashierProviders.Find).OfType<CashierProvider>().Select(p =>
            Html.Of($"<li><a href=\"/cashier/{t.Token}?provider={p.Id}\">{p.Title}</a></li>")));
        var title = Title(t);
        return Page(r, t, title, Html.Of($"""
            <h1>{title}</h1>
            {Summary(t)}
            <h2 class="note">Choose how</h2>
            <ul class="providers">{links}</ul>
            """));
    }

    private static HtmlPage Form(PageRequest r, CashierTransaction t, CashierProvider provider, string? problem)
    {
        var amount = Html.When(t.Type == CashierTypes.Deposit && !t.AmountRestricted, Html.Of($"""
            <label for="amount">Amount ({t.UserCurrency})</label>
            <input type="text" id="amount" name="amount" inputmode="decimal" maxlength="12" value="{Money.Format(t.UserAmountMinor)}">
            """));
        var fields = provider.Method switch
        {
            "card" => Html.Of($"""
                <label for="pan">Card number</label>
                <input type="text" id="pan" name="pan" inputmode="numeric" autocomplete="cc-number" maxlength="23" required>
                <div class="row">
                <div><label for="expiry">Expiry (MMYY)</label>
                <input type="text" id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" maxlength="4" required></div>
                <div><label for="cvv">CVC</label>
                <input type="password" id="cvv" name="cvv" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></div>
                </div>
                """),
            _ => Html.Of($"""
                {Holder(provider)}
                <label for="bank">Bank</label>
                <select id="bank" name="bank">{Html.Join(Banks.Select(b => Html.Of($"<option>{b}</option>")))}</select>
                <label for="account">Account number</label>
                <input type="text" id="account" name="account" inputmode="numeric" autocomplete="off" maxlength="16" required>
                """),
        };
        var action = t.Type == CashierTypes.Deposit ? "Deposit" : "Request withdrawal";
        var body = Html.Of($"""
            <h1>{provider.Title}</h1>
            {Summary(t)}
            {Html.Problem(problem)}
            <form method="post" action="/cashier/{t.Token}">
            {r.Guard.Field(t.Token, Step)}
            {Html.Hidden("provider", provider.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))}
            {amount}{fields}
            <div class="actions"><button type="submit" class="primary">{action}</button></div>
            </form>
            """);
        return Page(r, t, provider.Title, body, problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static Markup Holder(CashierProvider provider) => Html.When(provider.Method == "bank", Html.Of($"""
        <label for="holder">Account holder</label>
        <input type="text" id="holder" name="holder" autocomplete="name" maxlength="100" required>
        """));

    private static HtmlPage Outcome(PageRequest r, CashierTransaction t)
    {
        var (title, message) = (t.Status, t.Type) switch
        {
            (CashierStatuses.Successful, CashierTypes.Deposit) => ("Deposit successful", "The money is on its way to your account."),
            (CashierStatuses.Successful, _) => ("Withdrawal paid", "The money was sent to your bank account."),
            (CashierStatuses.Rejected, CashierTypes.Deposit) => ("Deposit rejected", t.RejectedReason ?? ""),
            (CashierStatuses.Rejected, _) => ("Withdrawal rejected", t.RejectedReason ?? ""),
            _ => ("Withdrawal requested", "Your request is waiting for approval. You can close this page."),
        };
        var shown = t.Status == CashierStatuses.Rejected ? Html.Problem(message) : Html.Of($"<p>{message}</p>");
        return Page(r, t, title, Html.Of($"<h1>{title}</h1>{Summary(t)}{shown}"));
    }

    private static Markup Summary(CashierTransaction t)
    {
        var account = t.PayoutAccountMasked is { } masked ? Html.Of($"<dt>To</dt><dd>{t.PayoutBank} {masked}</dd>") : Markup.Empty;
        return Html.Of($"""
            <dl class="summary">
            <dt>Amount</dt><dd class="amount">{Money.Display(t.UserAmountMinor, t.UserCurrency)}</dd>
            <dt>Transaction</dt><dd class="reference">{t.PublicId}</dd>
            {account}
            </dl>
            """);
    }

    private static string Title(CashierTransaction t) => t.Type == CashierTypes.Deposit ? "Deposit" : "Withdraw";

    private static HtmlPage Page(PageRequest r, CashierTransaction t, string title, Markup body, int status = StatusCodes.Status200OK) =>
        new(title, body) { Status = status, Dark = t.Theme == "dark", FrameAncestors = r.FrameAncestors };

    private static long? Amount(FormSection form) => form.Has("amount") ? Money.Parse(form, "amount") : null;

    private static string Bank(FormSection form)
    {
        var bank = form.Text("bank", 40);
        return bank is not null && Banks.Contains(bank) ? bank : throw ApiException.BadRequest("bank", "choose a bank from the list.");
    }

    private static string Account(FormSection form)
    {
        var account = form.TextOrNumber("account", 16);
        return account is { Length: >= 6 } && account.All(char.IsAsciiDigit)
            ? account
            : throw ApiException.BadRequest("account", "must be 6 to 16 digits.");
    }
}
