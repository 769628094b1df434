using System.Globalization;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;

namespace Gateway.Codes;

/// <summary>
/// The payer's pages for a code: <c>/c</c> to type one, <c>/c/{code}</c> (what a QR code opens) showing the merchant,
/// the code's description and amount, with the amount or a tip to fill in where the code allows, and the choice of
/// card or EFT. Paying continues on the hosted card or EFT page of a payment key, so the payer meets the same pages,
/// protections and outcomes as any hosted payment. Same look and headers as the other hosted pages.
/// </summary>
public static class CodePage
{
    public const string Step = "code";

    /// <summary><c>/c</c>, and <c>/c?code=...</c> from its own form (spaces allowed, as codes are read out in groups).</summary>
    public static Task<IResult> EnterAsync(PageRequest r) => r.RenderAsync(() =>
    {
        var typed = r.Query("code");
        var digits = typed is null ? null : new string([.. typed.Where(c => c != ' ' && c != '-')]);
        if (digits is not null && CodeService.IsCode(digits)) return Task.FromResult<IResult>(new PageRedirect($"/c/{digits}"));
        var problem = typed is null ? null : $"A code has {CodeService.CodeLength} digits.";
        var body = Html.Of($"""
            <h1>Pay a code</h1>
            {Html.Problem(problem)}
            <form method="get" action="/c">
            <label for="code">Code</label>
            <input type="text" id="code" name="code" inputmode="numeric" autocomplete="off" maxlength="20" required>
            <div class="actions"><button type="submit" class="primary">Continue</button></div>
            </form>
            """);
        return Task.FromResult<IResult>(r.Page("Pay a code", body, problem is null ? 200 : 400));
    });

    /// <summary><c>/c/{code}</c>: the code's page, and its form's post, which sends the payer on to pay.</summary>
    public static Task<IResult> HandleAsync(PageRequest r, CodeService codes, CodeLookupLimiter limiter, string digits) =>
        r.RenderAsync(async () =>
        {
            limiter.RefuseIfSpent(r.Http);
            PayableCode code;
            Organisation organisation;
            try
            {
                (code, organisation) = await codes.OpenForPayerAsync(digits, r.Aborted);
            }
            catch (ApiException missing) when (missing.Status == StatusCodes.Status404NotFound)
            {
                limiter.CountMiss(r.Http);
                throw;
            }
            if (!r.IsPost) return Form(r, code, organisation, null);

            var form = await r.ReadFormAsync();
            r.Guard.RequireToken(form, digits, Step);
            long total;
            try
            {
                total = CodeService.Total(code, form);
            }
            catch (ApiException invalid) when (invalid.Status == StatusCodes.Status400BadRequest)
            {
                return Form(r, code, organisation, invalid.Message);
            }
            var page = form.Text("method", 8) == "eft" ? "eft" : "card";
            var key = await codes.KeyForPageAsync(code, organisation, total, PageRequest.Uncancellable);
            var expect = key.AmountMinor.ToString(CultureInfo.InvariantCulture);
            return new PageRedirect($"/{page}?payment_key={key.Key}&expect={expect}");
        });

    private static HtmlPage Form(PageRequest r, PayableCode code, Organisation organisation, string? problem)
    {
        var amount = code.IsVariable || code.RequestPartialPayment
            ? Html.Of($"""
                <label for="amount">Amount ({code.Currency})</label>
                <input type="text" id="amount" name="amount" inputmode="decimal" maxlength="12" required
                 value="{(code.IsVariable ? "" : Money.Format(code.AmountMinor))}">
                """)
            : Markup.Empty;
        var tip = Html.When(code.RequestTip, Html.Of($"""
            <label for="tip">Tip ({code.Currency}, optional)</label>
            <input type="text" id="tip" name="tip" inputmode="decimal" maxlength="12">
            """));
        var shown = code.IsVariable ? "You choose" : Money.Display(code.AmountMinor, code.Currency);
        var body = Html.Of($"""
            <h1>{code.ShortDescription}</h1>
            {Html.Problem(problem)}
            <dl class="summary">
            <dt>Merchant</dt><dd class="merchant">{organisation.Name}</dd>
            <dt>Amount</dt><dd class="amount">{shown}</dd>
            <dt>Code</dt><dd class="reference">{code.Code}</dd>
            </dl>
            <form method="post" action="{r.SelfUrl}">
            {r.Guard.Field(code.Code, Step)}
            {amount}{tip}
            <div class="actions">
            <button type="submit" class="primary" name="method" value="card">Pay by card</button>
            <button type="submit" class="secondary" name="method" value="eft">Pay by EFT</button>
            </div>
            </form>
            """);
        return r.Page(code.ShortDescription, body, problem is null ? 200 : 400);
    }
}
