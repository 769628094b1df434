using System.Globalization;
using Gateway.Api;
using Gateway.Payments;

namespace Gateway.HostedPages;

/// <summary>
/// <c>/gatewaytransactions/3ds/?transactionID=ID&amp;session=S</c>: the simulated issuer's 3-D Secure challenge,
/// for hosted card payments and direct ones (their <c>3ds_redirect</c>). The session is the secret; the transaction
/// id must match it.
/// </summary>
public static class ThreeDsPage
{
    public const string Step = "3ds";

    public static Task<IResult> HandleAsync(PageRequest r) => r.RenderAsync(async () =>
    {
        var session = r.Query("session") ?? "";
        var id = long.TryParse(r.Query("transactionID"), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        if (r.IsPost)
        {
            var form = await r.ReadFormAsync();
            r.Guard.RequireToken(form, session, Step);
            var passed = form.Text("result", 8) switch
            {
                "pass" => true,
                "fail" => false,
                _ => throw ApiException.BadRequest("Choose Pass or Fail."),
            };
            return r.Finish(await r.Hosted.CompleteChallengeAsync(session, id, passed, PageRequest.Uncancellable));
        }

        var (transaction, key) = await r.Hosted.FindChallengeAsync(session, id, r.Aborted);
        r.FramedKey = key;
        // Already answered (a reload, the back button): go where that answer went.
        if (transaction.Status != TransactionStatus.Pending) return r.Finish(new HostedOutcome(transaction, r.Hosted.RedirectFor(key, transaction)));

        var organisation = await r.Identity.GetOrganisationAsync(transaction.OrganisationId, r.Aborted);
        var body = Html.Of($"""
            <h1>Verify this payment</h1>
            <dl class="summary">
            <dt>Merchant</dt><dd class="merchant">{organisation?.Name}</dd>
            <dt>Amount</dt><dd class="amount">{Money.Display(transaction.AmountMinor, transaction.Currency)}</dd>
            <dt>Reference</dt><dd class="reference">{transaction.MerchantReference}</dd>
            </dl>
            <p>Your card issuer asks you to confirm this payment. This is a simulated challenge: choose the outcome.</p>
            <form method="post" action="{r.SelfUrl}">
            {r.Guard.Field(session, Step)}
            <div class="actions">
            <button type="submit" class="primary" name="result" value="pass">Pass</button>
            <button type="submit" class="secondary" name="result" value="fail">Fail</button>
            </div>
            </form>
            """);
        var targets = key is null ? r.FormTargets(transaction.ReturnUrl) : r.FormTargets(key);
        return r.Page("Verify this payment", body, formTargets: targets);
    });
}
