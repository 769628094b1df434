using Gateway.Api;
using Gateway.Payments;

namespace Gateway.HostedPages;

/// <summary>
/// The EFTsecure steps (choose bank, sign in to the simulated bank, confirm, then pay or cancel), written once for
/// both ways a payer meets them: the hosted page (<see cref="EftPage"/>, HTML forms) and the self-hosted plugin's
/// API (<see cref="EftxApi"/>, JSON), so outcomes and protections cannot drift apart. A post names its step and
/// carries that step's <see cref="PageGuard"/> token for the key; the bank and account ride along from step to step.
/// The password is only checked for presence and goes nowhere: not into an answer, a log or storage.
/// </summary>
public static class EftSteps
{
    public const string BankStep = "bank";
    public const string LoginStep = "login";
    public const string ConfirmStep = "confirm";

    /// <summary>The first step for an opened key: its bank preselected when the merchant named one (customer_bank).</summary>
    public static EftForm Start(HostedPayment payment)
    {
        RefuseCardOnly(payment);
        return new EftForm(BankStep, payment, payment.Key.CustomerBank, null, null);
    }

    /// <summary>
    /// A step's post for the payment key <paramref name="key"/>: the next step's form (or this one again, with the
    /// problem the payer must fix), or the outcome once paid or cancelled. Refusals are thrown: a post without its
    /// step's token (403), a key that cannot be paid now (404, 410, 409), a card-only key (400).
    /// </summary>
    public static async Task<EftStep> SubmitAsync(PageRequest r, FormSection form, string? key)
    {
        var step = form.Text("step", 16);
        if (step is not (BankStep or LoginStep or ConfirmStep))
        {
            throw ApiException.Forbidden("This form was not sent from the payment page.");
        }
        r.Guard.RequireToken(form, key ?? "", step);
        var paying = await r.OpenPayableAsync(key);
        RefuseCardOnly(paying);
        if (form.Text("action", 16) == "cancel")
        {
            return new EftDone(paying, await r.Hosted.CancelAsync(paying, PaymentTypes.Eft, PageRequest.Uncancellable));
        }

        var bank = Banks.Find(form.Text("bank", 32) ?? "");
        if (bank is null) return new EftForm(BankStep, paying, null, null, "Choose your bank.");
        if (step == BankStep) return new EftForm(LoginStep, paying, bank, null, null);

        var account = form.Text("account", 32);
        if (account is null || account.Length is < 6 or > 16 || !account.All(char.IsAsciiDigit))
        {
            return new EftForm(LoginStep, paying, bank, account, "Enter your account number: 6 to 16 digits.");
        }
        if (step == LoginStep)
        {
            // The simulated bank only needs a password to be given; the value is dropped here.
            return form.Secret("password", 128) is null
                ? new EftForm(LoginStep, paying, bank, account, "Enter your internet banking password.")
                : new EftForm(ConfirmStep, paying, bank, account, null);
        }
        return new EftDone(paying, await r.Hosted.PayByEftAsync(paying, bank, account, PageRequest.Uncancellable));
    }

    /// <summary>Each step's heading, the same on the page and in the plugin.</summary>
    public static string Title(EftForm form) => form.Step switch
    {
        BankStep => "Pay by instant EFT",
        LoginStep => $"Sign in to {form.Bank}",
        _ => "Confirm your payment",
    };

    /// <summary>Who the money goes to: the key's beneficiary when the merchant named one, else the merchant.</summary>
    public static string PayTo(HostedPayment payment) =>
        payment.Key.Beneficiary is { } b ? $"{b.Name} ({b.Bank})" : payment.Organisation.Name;

    private static void RefuseCardOnly(HostedPayment payment)
    {
        if (payment.Key.PaymentType == PaymentTypes.Card)
        {
            throw ApiException.BadRequest($"This payment can only be made by {PaymentTypes.Card}.");
        }
    }
}

/// <summary>Where a step led: another form to fill in, or the end.</summary>
public abstract record EftStep(HostedPayment Payment);

/// <summary>
/// The form of <paramref name="Step"/> to show, with the bank and account given so far; with a
/// <paramref name="Problem"/>, the payer's input was refused and the form is shown again (a 400).
/// </summary>
public sealed record EftForm(string Step, HostedPayment Payment, string? Bank, string? Account, string? Problem)
    : EftStep(Payment);

/// <summary>Paid, declined or cancelled: the transaction and the merchant URL the payer goes to.</summary>
public sealed record EftDone(HostedPayment Payment, HostedOutcome Outcome) : EftStep(Payment);
