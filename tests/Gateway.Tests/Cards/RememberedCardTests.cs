using Gateway.Payments;
using Gateway.Tests.HostedPages;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Payments;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cards;

/// <summary>
/// "Remember this card" on the hosted card page, then <c>POST customer-token</c>. On the sweep's app (moved clock,
/// own tables), so a capture can be let expire and swept without touching other tests' rows.
/// </summary>
public sealed class RememberedCardTests(SweepGatewayApp app) : IClassFixture<SweepGatewayApp>
{
    /// <summary>The payer pays the merchant's card key for <paramref name="reference"/> on the hosted page.</summary>
    private async Task<HttpResponseMessage> PayOnPageAsync(Merchant merchant, string reference, string pan, bool remember,
        string query = "")
    {
        var key = await merchant.Client.CreateKeyAsync(reference: reference, extra: ("payment_type", "credit_card"));
        using var payer = app.Payer();
        var form = await (await payer.GetAsync($"/card?payment_key={key}{query}")).HtmlAsync(200);
        Assert.Equal(query.Contains("remember_card=off"), !form.Contains("Remember this card"));
        (string, string)[] card = [("holder", "Ann Payer"), ("pan", pan), ("expiry", "1230"), ("cvv", "123"), ("action", "continue")];
        return await payer.SubmitAsync(form, remember ? [.. card, ("remember_card", "1")] : card);
    }

    private static Task<HttpResponseMessage> TokeniseAsync(Merchant merchant, string reference) =>
        merchant.Client.PostFormAsync("/api/v1/customer-token", ("merchant_reference", reference));

    [Fact]
    public async Task ACardRememberedOnTheHostedPageIsTokenisedOnce()
    {
        using var merchant = await app.MerchantAsync();
        (await PayOnPageAsync(merchant, "reference3", "5555555555554444", remember: true)).RedirectsTo(PageKit.SuccessUrl);
        var capture = Assert.Single(await app.RowsAsync(merchant.Id, "ccap-"));
        Assert.DoesNotContain("5555555555554444", string.Join("|", capture.Select(p => p.Value)));
        Assert.DoesNotContain(capture.Keys, k => k.Contains("cvv", StringComparison.OrdinalIgnoreCase));

        var created = await (await TokeniseAsync(merchant, "reference3")).JsonAsync(200);
        Assert.Equal(CardKit.CreatedShape, created.Keys());
        Assert.Equal("reference3", created.Text("merchant_reference"));
        Assert.Equal("12-2030", created.Text("expiry_date"));
        var view = await (await merchant.Client.GetAsync(CardKit.Url("reference3"))).JsonAsync(200);
        Assert.Equal("555555******4444", view.Text("pan"));
        Assert.Equal("hosted", Assert.Single(await app.RowsAsync(merchant.Id, "card-")).GetString("Source"));
        Assert.Empty(await app.RowsAsync(merchant.Id, "ccap-"));

        // The capture is used up; the stored card pays.
        Assert.Contains("Remember this card", await (await TokeniseAsync(merchant, "reference3")).ErrorAsync(404));
        Assert.Equal(1, (await (await merchant.Client.PayTokenAsync(created.Text("guid"))).JsonAsync(200)).GetProperty("success").GetInt32());
    }

    [Fact]
    public async Task WhereTheWidgetOffersNoRememberingAPostedTickIsIgnored()
    {
        // The checkout widget's cardOptions.rememberCard false opens the page with remember_card=off.
        using var merchant = await app.MerchantAsync();
        (await PayOnPageAsync(merchant, "not-offered", PaymentKit.Approved, remember: true, "&checkout=1&remember_card=off"))
            .RedirectsTo("http://localhost:7071/receipt");
        (await PayOnPageAsync(merchant, "offered", PaymentKit.Approved, remember: true, "&checkout=1&remember_card=1"))
            .RedirectsTo("http://localhost:7071/receipt");

        Assert.Single(await app.RowsAsync(merchant.Id, "ccap-"));
        await (await TokeniseAsync(merchant, "not-offered")).ErrorAsync(404);
        await (await TokeniseAsync(merchant, "offered")).JsonAsync(200);
    }

    [Fact]
    public async Task NothingIsRememberedWithoutTheTickOrForADeclinedCard()
    {
        using var merchant = await app.MerchantAsync();
        (await PayOnPageAsync(merchant, "no-tick", PaymentKit.Approved, remember: false)).RedirectsTo(PageKit.SuccessUrl);
        (await PayOnPageAsync(merchant, "declined", "4000000000000002", remember: true)).RedirectsTo(PageKit.ErrorUrl);

        Assert.Empty(await app.RowsAsync(merchant.Id, "ccap-"));
        await (await TokeniseAsync(merchant, "no-tick")).ErrorAsync(404);
        await (await TokeniseAsync(merchant, "declined")).ErrorAsync(404);
        await (await TokeniseAsync(merchant, "never-seen")).ErrorAsync(404);
        Assert.Empty(await app.RowsAsync(merchant.Id, "card-"));
    }

    [Fact]
    public async Task ACardAtItsChallengeIsTokenisedOnlyOnceTheChallengeIsPassed()
    {
        using var merchant = await app.MerchantAsync();
        var challenge = (await PayOnPageAsync(merchant, "challenged", PaymentKit.Challenge, remember: true))
            .RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
        Assert.Contains("3-D Secure", await (await TokeniseAsync(merchant, "challenged")).ErrorAsync(409));

        using var payer = app.Payer();
        var html = await (await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID={challenge["transactionID"]}&session={challenge["session"]}")).HtmlAsync(200);
        (await payer.SubmitAsync(html, ("result", "pass"))).RedirectsTo(PageKit.SuccessUrl);
        Assert.Equal("12-2030", (await (await TokeniseAsync(merchant, "challenged")).JsonAsync(200)).Text("expiry_date"));
    }

    [Fact]
    public async Task ACardWhoseChallengeFailedIsNotTokenised()
    {
        using var merchant = await app.MerchantAsync();
        var challenge = (await PayOnPageAsync(merchant, "challenge-failed", PaymentKit.Challenge, remember: true))
            .RedirectsTo("http://localhost:7071/gatewaytransactions/3ds/");
        using var payer = app.Payer();
        var html = await (await payer.GetAsync($"/gatewaytransactions/3ds/?transactionID={challenge["transactionID"]}&session={challenge["session"]}")).HtmlAsync(200);
        (await payer.SubmitAsync(html, ("result", "fail"))).RedirectsTo(PageKit.ErrorUrl);
        Assert.Contains("did not go through", await (await TokeniseAsync(merchant, "challenge-failed")).ErrorAsync(409));
        Assert.Empty(await app.RowsAsync(merchant.Id, "card-"));
    }

    [Fact]
    public async Task AReferenceWithACardAlreadyIsAConflictAndKeepsTheCapture()
    {
        using var merchant = await app.MerchantAsync();
        var existing = await merchant.Client.StoreCardAsync("taken");
        (await PayOnPageAsync(merchant, "taken", "5555555555554444", remember: true)).RedirectsTo(PageKit.SuccessUrl);
        Assert.Contains("merchant_reference", await (await TokeniseAsync(merchant, "taken")).ErrorAsync(409));
        Assert.Single(await app.RowsAsync(merchant.Id, "ccap-"));
        Assert.Equal(existing.Text("guid"), (await (await merchant.Client.GetAsync(CardKit.Url("taken"))).JsonAsync(200)).Text("guid"));
    }

    [Fact]
    public async Task ACaptureExpiresAfterADayAndTheSweepDeletesIt()
    {
        using var merchant = await app.MerchantAsync();
        (await PayOnPageAsync(merchant, "too-late", PaymentKit.Approved, remember: true)).RedirectsTo(PageKit.SuccessUrl);
        await SweepAsync();
        Assert.Single(await app.RowsAsync(merchant.Id, "ccap-"));

        app.Clock!.Advance(CardVault.CaptureLifetime + TimeSpan.FromSeconds(1));
        await (await TokeniseAsync(merchant, "too-late")).ErrorAsync(404);
        await SweepAsync();
        Assert.Empty(await app.RowsAsync(merchant.Id, "ccap-"));
    }

    private async Task SweepAsync()
    {
        using var scope = app.Services.CreateScope();
        await ActivatorUtilities.CreateInstance<PaymentSweep>(scope.ServiceProvider).Run(new TimerInfo(), CancellationToken.None);
    }
}
