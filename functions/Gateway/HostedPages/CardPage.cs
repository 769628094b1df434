using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.HostedPages;

/// <summary>
/// <c>/card?payment_key=K</c>: the card form. A number or CVV that fails its checks is never written back into
/// the page: the payer types them again, and nothing of the card outlives the request (see <see cref="CardDetails"/>).
/// </summary>
public static class CardPage
{
    public const string Step = "card";

    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["pan"] = "Card number", ["expiry"] = "Expiry date", ["cvv"] = "CVV", ["holder"] = "Cardholder name",
    };

    public static Task<IResult> HandleAsync(PageRequest r) => r.RenderAsync(async () =>
    {
        if (!r.IsPost)
        {
            var payment = await r.OpenPayableAsync();
            if (payment.Key.PaymentType == PaymentTypes.Eft) return new PageRedirect(EftPage.OtherPage(r, "eft"));
            if (payment.Key.CardToken is not null) return SavedCardForm(r, payment, await r.Hosted.SavedCardAsync(payment.Key, r.Aborted));
            return Form(r, payment, new CardInput(null, null, OffersRemember(r) && r.Query("remember_card") == "1"), problem: null);
        }

        var form = await r.ReadFormAsync();
        var key = r.Query("payment_key") ?? "";
        r.Guard.RequireToken(form, key, Step);
        var paying = await r.OpenPayableAsync();
        if (form.Text("action", 16) == "cancel") return r.Finish(await r.Hosted.CancelAsync(paying, PaymentTypes.Card, PageRequest.Uncancellable));
        // A key with a stored card pays only with that card: card fields posted with it are ignored, never charged.
        if (paying.Key.CardToken is not null) return r.Finish(await r.Hosted.PayByTokenAsync(paying, PageRequest.Uncancellable));

        var input = new CardInput(SafeText(form, "holder", 64), SafeText(form, "expiry", 8),
            OffersRemember(r) && form.Text("remember_card", 5) == "1");
        CardDetails card;
        try
        {
            form.Text("holder", 64); // a bad name is reported like a bad card field (SafeText above dropped it)
            card = CardDetails.Read(form, paying.Organisation.Now(r.Time), ApiTime.Zone(paying.Organisation.TimeZone), holder: input.Holder);
        }
        catch (ApiException invalid) when (invalid.Status == StatusCodes.Status400BadRequest)
        {
            return Form(r, paying, input, Friendly(invalid.Message));
        }
        return r.Finish(await r.Hosted.PayByCardAsync(paying, card, input.RememberCard, PageRequest.Uncancellable));
    });

    private sealed record CardInput(string? Holder, string? Expiry, bool RememberCard);

    /// <summary>
    /// Whether the payer is offered "Remember this card": always, unless the link says <c>remember_card=off</c> (the
    /// checkout widget's <c>cardOptions.rememberCard</c> false). Then a posted tick is ignored too: the form posts to
    /// the page's own URL, so the merchant's choice travels with every post.
    /// </summary>
    private static bool OffersRemember(PageRequest r) => r.Query("remember_card") != "off";

    /// <summary>A field worth showing again, or nothing when it is itself what failed its checks.</summary>
    private static string? SafeText(FormSection form, string field, int maxLength)
    {
        try
        {
            return form.Text(field, maxLength);
        }
        catch (ApiException)
        {
            return null;
        }
    }

    /// <summary>"pan: is not a valid card number." reads "Card number is not a valid card number.".</summary>
    private static string Friendly(string message)
    {
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && Labels.TryGetValue(message[..colon], out var label) ? $"{label} {message[(colon + 2)..]}" : message;
    }

    /// <summary>The merchant's stored card for this key, shown masked (first six, last four), with a Pay button.</summary>
    private static HtmlPage SavedCardForm(PageRequest r, HostedPayment payment, StoredCard? card)
    {
        if (card is null) return r.Error(StatusCodes.Status409Conflict, "The saved card of this payment no longer exists.");
        var body = Html.Of($"""
            <h1>Pay by card</h1>
            {PageRequest.Summary(payment)}
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", Step)}{r.Guard.Field(payment.Key.Key, Step)}
            <p>Pay with your saved card:</p>
            <dl class="summary">
            <dt>Card</dt><dd class="saved-card">{card.Brand} {card.Masked}</dd>
            <dt>Expires</dt><dd class="saved-card-expiry">{card.ExpiryText}</dd>
            </dl>
            {EftPage.Actions($"Pay {Money.Display(payment.Key.AmountMinor, payment.Key.Currency)}")}
            </form>
            """);
        return r.Page("Pay by card", body, formTargets: r.FormTargets(payment.Key));
    }

    private static HtmlPage Form(PageRequest r, HostedPayment payment, CardInput input, string? problem)
    {
        var byEft = Html.When(payment.Key.PaymentType is null,
            Html.Of($"<p class=\"note\"><a id=\"pay-by-eft\" href=\"{EftPage.OtherPage(r, "eft")}\">Pay by instant EFT instead</a></p>"));
        var ticked = new Markup(input.RememberCard ? " checked" : "");
        var remember = Html.When(OffersRemember(r), Html.Of(
            $"<label class=\"check\"><input type=\"checkbox\" id=\"remember_card\" name=\"remember_card\" value=\"1\"{ticked}> Remember this card</label>"));
        var body = Html.Of($"""
            <h1>Pay by card</h1>
            {PageRequest.Summary(payment)}
            {Html.Problem(problem)}
            <form method="post" action="{r.SelfUrl}">
            {Html.Hidden("step", Step)}{r.Guard.Field(payment.Key.Key, Step)}
            <label for="holder">Cardholder name</label>
            <input type="text" id="holder" name="holder" autocomplete="cc-name" value="{input.Holder}" maxlength="64">
            <label for="pan">Card number</label>
            <input type="text" id="pan" name="pan" autocomplete="cc-number" inputmode="numeric" maxlength="23" required>
            <div class="row">
            <div><label for="expiry">Expiry (MMYY)</label>
            <input type="text" id="expiry" name="expiry" autocomplete="cc-exp" inputmode="numeric" placeholder="MMYY" maxlength="4" value="{input.Expiry}" required></div>
            <div><label for="cvv">CVV</label>
            <input type="password" id="cvv" name="cvv" autocomplete="cc-csc" inputmode="numeric" maxlength="4" required></div>
            </div>
            {remember}
            {EftPage.Actions($"Pay {Money.Display(payment.Key.AmountMinor, payment.Key.Currency)}")}
            </form>
            {byEft}
            """);
        return r.Page("Pay by card", body, problem is null ? 200 : 400, r.FormTargets(payment.Key));
    }
}
