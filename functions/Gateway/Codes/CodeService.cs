using System.Globalization;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Codes;

/// <summary>
/// Payable codes for their merchant (create, change, block, delete) and for payers (pay in an app). A use-once code
/// changes together with its payment key in one ETag-checked batch, so a change and a payment racing for the key
/// cannot both win; payments go through <see cref="HostedPayments"/>, whose key holds make a key paid at most once.
/// </summary>
public sealed class CodeService(CodeStore store, PaymentStore payments, HostedPayments hosted, PaymentService paymentService,
    AcquirerRouter acquirers, IdentityStore identity, IOptions<PaymentOptions> options, TimeProvider time)
{
    public const int CodeLength = 10;

    /// <summary>The document's statuses for the code itself.</summary>
    public const int NotFoundStatus = 431;
    public const int NotACodeStatus = 439;
    public const int OtherMerchantStatus = 513;

    /// <summary>A never-expiring code's key still needs an expiry: one no code outlives.</summary>
    private static readonly TimeSpan NeverLifetime = TimeSpan.FromDays(36_500);

    public static ApiException NotFound() => new(NotFoundStatus, "The code does not exist.");

    public static ApiException NotACode() => new(NotACodeStatus, $"The code is not a valid code: it has {CodeLength} digits.");

    public static ApiException OtherMerchant() => new(OtherMerchantStatus, "The code does not belong to this merchant.");

    /// <summary>What a payer is told of a code that is unknown, deleted or not a code at all: nothing more.</summary>
    public static ApiException NotFoundForPayer() => ApiException.NotFound("Code not found.");

    public static bool IsCode(string text) => text.Length == CodeLength && text.All(char.IsAsciiDigit);

    /// <summary>Where a payer pays the code (the QR codes encode it).</summary>
    public string PayUrl(string code) => new Uri(options.Value.BaseUri, $"c/{code}").ToString();

    public async Task<PayableCode> CreateAsync(Caller caller, Organisation organisation, CodeRequest request, CancellationToken cancellationToken)
    {
        acquirers.RefuseUnavailable(organisation);
        var now = organisation.Now(time);
        var code = With(new PayableCode
        {
            Code = await store.ClaimDigitsAsync(organisation.Id, cancellationToken), OrganisationId = organisation.Id,
            AmountMinor = request.AmountMinor, Currency = organisation.Currency, MerchantReference = request.MerchantReference,
            ShortDescription = request.ShortDescription, Created = now, UseOnce = request.UseOnce,
        }, request);
        if (!code.UseOnce)
        {
            // Fresh digits: a refused insert can only be this very write, landed with its answer lost.
            await payments.CommitAsync([CodeStore.Insert(code)], cancellationToken);
            return code;
        }
        var key = KeyFor(code, caller, organisation, now);
        code = code with { PaymentKey = key.Key };
        await payments.CreateKeyAsync(key, [CodeStore.Insert(code)], cancellationToken);
        return code;
    }

    /// <summary>The caller's code: 439 for text that is no code, 431 for none (or a deleted one), 513 for another's.</summary>
    public async Task<PayableCode> OwnAsync(long organisationId, string digits, CancellationToken cancellationToken)
    {
        if (!IsCode(digits)) throw NotACode();
        var owner = await store.OwnerAsync(digits, cancellationToken) ?? throw NotFound();
        if (owner != organisationId) throw OtherMerchant();
        var code = await store.GetAsync(organisationId, digits, cancellationToken);
        return code is null || code.State == CodeStates.Deleted ? throw NotFound() : code;
    }

    /// <summary>
    /// The document's update. Made use-once, a code gets a key of its own (new, in the same batch); made reusable, its
    /// unpaid key is cancelled and each payment then makes its own.
    /// </summary>
    public Task<PayableCode> UpdateAsync(Organisation organisation, string digits, CodeRequest request,
        CancellationToken cancellationToken) =>
        ChangeAsync(organisation.Id, digits, (code, key) =>
        {
            var changed = With(code with
            {
                AmountMinor = request.AmountMinor, MerchantReference = request.MerchantReference,
                ShortDescription = request.ShortDescription, UseOnce = request.UseOnce,
            }, request);
            if (!changed.UseOnce)
            {
                changed = changed with { PaymentKey = null };
                return (changed, key is null || key.State == PaymentKeyStates.Paid ? null
                    : key with { State = PaymentKeyStates.Cancelled, HeldUntil = null });
            }
            if (key is null)
            {
                var fresh = KeyFor(changed, null, organisation, organisation.Now(time));
                return (changed with { PaymentKey = fresh.Key }, fresh);
            }
            return (changed, Repriced(key, changed));
        }, cancellationToken);

    public Task<PayableCode> SetAmountAsync(long organisationId, string digits, long amountMinor, DateTimeOffset? expires,
        bool basketLimits, CancellationToken cancellationToken) =>
        ChangeAsync(organisationId, digits, (code, key) =>
        {
            var changed = code with { AmountMinor = amountMinor, Expires = expires };
            CodeFields.CheckBasket(changed.LimitBasket, amountMinor, basketLimits);
            return (changed, key is null ? null : Repriced(key, changed));
        }, cancellationToken);

    /// <summary>Blocking cancels a use-once code's key (nothing can pay it); unblocking opens it again.</summary>
    public Task<PayableCode> BlockAsync(long organisationId, string digits, bool blocked, CancellationToken cancellationToken) =>
        ChangeAsync(organisationId, digits, (code, key) =>
        (
            code with { State = blocked ? CodeStates.Blocked : CodeStates.Active },
            key is null || key.State == PaymentKeyStates.Paid ? null
                : key with { State = blocked ? PaymentKeyStates.Cancelled : PaymentKeyStates.Open, HeldUntil = null }
        ), cancellationToken);

    public Task<PayableCode> DeleteAsync(long organisationId, string digits, CancellationToken cancellationToken) =>
        ChangeAsync(organisationId, digits, (code, key) =>
        (
            code with { State = CodeStates.Deleted },
            key is null || key.State == PaymentKeyStates.Paid ? null : key with { State = PaymentKeyStates.Cancelled, HeldUntil = null }
        ), cancellationToken);

    /// <summary>
    /// A payer pays the code with a card (in an app): the code's amount, or the payer's where the code lets them
    /// choose it, plus a tip where it asks for one. Answers like <c>pay/direct</c>.
    /// </summary>
    public async Task<StoredResponse> PayAsync(string digits, FormSection form, CancellationToken cancellationToken)
    {
        var (code, organisation) = await OpenForPayerAsync(digits, cancellationToken);
        var total = Total(code, form);
        var returnUrl = PaymentFields.Url(form, "return_url");
        var zone = ApiTime.Zone(organisation.TimeZone);
        var card = CardDetails.Read(form, organisation.Now(time), zone);
        PaymentKey key;
        if (code.UseOnce)
        {
            key = await payments.GetKeyAsync(code.OrganisationId, code.PaymentKey!, cancellationToken)
                ?? throw new InvalidOperationException($"Code {code.Code} has no payment key.");
        }
        else
        {
            key = await payments.CreateKeyAsync(KeyFor(code, null, organisation, organisation.Now(time)), [], cancellationToken);
        }
        // The payer's amount rides on the key's hold (one ETag-checked write): a payer who lost the race for a
        // use-once code is refused, never charged another payer's amount.
        var paying = key with { AmountMinor = total, SuccessUrl = returnUrl, ErrorUrl = returnUrl };
        // Once started, a payment runs to its end even if the payer's app goes away (as in PaymentsApi).
        var outcome = await hosted.PayByCardAsync(new HostedPayment(paying, organisation), card, rememberCard: false, CancellationToken.None);
        var t = outcome.Transaction;
        return t.Status == TransactionStatus.Pending
            ? StoredResponse.Ok(new ThreeDsRedirect("3ds_redirect", paymentService.ThreeDsUrl(t), t.Id.ToString(CultureInfo.InvariantCulture)))
            : StoredResponse.Ok(new PaymentResult("result", null, TransactionView.From(t, zone)));
    }

    /// <summary>
    /// The payment key the hosted pages take a code's payment with, for <paramref name="total"/>: a fresh one for a
    /// reusable code; a use-once code's own, its amount set to the payer's (an ETag-checked write, refused while
    /// another payer holds the key or once it is paid). The pages then check the key still has this amount.
    /// </summary>
    public async Task<PaymentKey> KeyForPageAsync(PayableCode code, Organisation organisation, long total,
        CancellationToken cancellationToken)
    {
        if (!code.UseOnce)
        {
            return await payments.CreateKeyAsync(KeyFor(code, null, organisation, organisation.Now(time)) with { AmountMinor = total },
                [], cancellationToken);
        }
        var key = await payments.GetKeyAsync(code.OrganisationId, code.PaymentKey!, cancellationToken)
            ?? throw new InvalidOperationException($"Code {code.Code} has no payment key.");
        HostedPayments.RefuseUnpayable(key, organisation.Now(time), time.GetUtcNow());
        if (key.AmountMinor == total) return key;
        return await payments.ReplaceKeyAsync(key with { AmountMinor = total }, key.ETag, cancellationToken)
            ?? throw ApiException.Conflict("Someone else is paying this code right now; try again in a moment.");
    }

    /// <summary>The code a payer may pay, with its merchant: 404 for anything unknown, 409 blocked, 410 expired.</summary>
    public async Task<(PayableCode Code, Organisation Organisation)> OpenForPayerAsync(string digits, CancellationToken cancellationToken)
    {
        if (!IsCode(digits) || await store.OwnerAsync(digits, cancellationToken) is not { } owner) throw NotFoundForPayer();
        var code = await store.GetAsync(owner, digits, cancellationToken);
        if (code is null || code.State == CodeStates.Deleted) throw NotFoundForPayer();
        var organisation = await identity.GetOrganisationAsync(owner, cancellationToken) ?? throw NotFoundForPayer();
        if (code.State == CodeStates.Blocked) throw ApiException.Conflict("This code is blocked by the merchant.");
        if (code.IsExpired(organisation.Now(time))) throw new ApiException(StatusCodes.Status410Gone, "This code has expired.");
        return (code, organisation);
    }

    /// <summary>The amount to charge: the code's, or the payer's where allowed, plus a tip where asked for.</summary>
    public static long Total(PayableCode code, FormSection form)
    {
        long amount;
        if (code.IsVariable) amount = Money.Parse(form, "amount");
        else if (code.RequestPartialPayment && form.TextOrNumber("amount", 16) is not null)
        {
            amount = Money.Parse(form, "amount");
            if (amount > code.AmountMinor)
            {
                throw ApiException.BadRequest(form.FieldName("amount"), $"must be at most {Money.Display(code.AmountMinor, code.Currency)}.");
            }
        }
        else if (form.TextOrNumber("amount", 16) is not null && Money.Parse(form, "amount") != code.AmountMinor)
        {
            throw ApiException.BadRequest(form.FieldName("amount"), $"this code is for {Money.Display(code.AmountMinor, code.Currency)}.");
        }
        else amount = code.AmountMinor;

        var tip = form.TextOrNumber("tip", 16) is null ? 0 : Money.Parse(form, "tip");
        if (tip > 0 && !code.RequestTip) throw ApiException.BadRequest(form.FieldName("tip"), "this code does not ask for a tip.");
        return amount + tip <= Money.MaxMinor ? amount + tip : throw ApiException.BadRequest(form.FieldName("tip"), "makes the amount too large.");
    }

    /// <summary>
    /// Reads the code and its key, applies <paramref name="change"/> and writes both at once, again from a fresh read
    /// when another change or a payment got there first. A payment in flight (its transaction not decided) is 409.
    /// The change may replace the code's key or give it a new one (a key the code did not have is inserted).
    /// </summary>
    private async Task<PayableCode> ChangeAsync(long organisationId, string digits,
        Func<PayableCode, PaymentKey?, (PayableCode Code, PaymentKey? Key)> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var code = await OwnAsync(organisationId, digits, cancellationToken);
            var key = code.PaymentKey is { } k ? await payments.GetKeyAsync(organisationId, k, cancellationToken) : null;
            if (key is { State: PaymentKeyStates.Processing }
                && (key.TransactionId is not { } attemptId
                    || await payments.GetAsync(organisationId, attemptId, cancellationToken) is not { Status: not TransactionStatus.Pending }))
            {
                throw ApiException.Conflict("A payment of this code is in progress; try again once it has finished.");
            }
            var (changed, changedKey) = change(code, key);
            var actions = new List<Azure.Data.Tables.TableTransactionAction?> { CodeStore.Replace(changed) };
            if (changedKey is not null && changedKey.Key == key?.Key)
            {
                actions.Add(PaymentStore.KeyChange(changedKey with { WriteId = Guid.NewGuid().ToString("N") }, key.ETag));
            }
            else if (changedKey is not null)
            {
                // Its Lookups row first, as for every key: a page never meets a key it cannot resolve.
                await payments.AddLookupAsync(PaymentRows.KeyLookup(changedKey.Key), organisationId, null, cancellationToken);
                actions.Add(Platform.TableActions.Insert(changedKey.ToEntity()));
            }
            if (await payments.CommitAsync(actions, cancellationToken)) return changed;
        }
        throw IdentityStore.Busy();
    }

    /// <summary>A use-once code's key after a change of its amount, reference or expiry; a paid key stays as it is.</summary>
    private static PaymentKey? Repriced(PaymentKey key, PayableCode code)
    {
        if (key.State == PaymentKeyStates.Paid) throw ApiException.Conflict("This code has been paid; create a new code.");
        return key with
        {
            AmountMinor = code.AmountMinor, MerchantReference = code.MerchantReference,
            Expires = code.Expires ?? key.Created + NeverLifetime, Details = code.Details(),
        };
    }

    private static PayableCode With(PayableCode code, CodeRequest request) => code with
    {
        Expires = request.Expires, RequestPartialPayment = request.RequestPartialPayment, RequestTip = request.RequestTip,
        SubMerchantName = request.SubMerchantName, TerminalId = request.TerminalId, SmsNotify = request.SmsNotify,
        EmailNotify = request.EmailNotify, Rrn2 = request.Rrn2, LimitBasket = request.LimitBasket, ProductUrl = request.ProductUrl,
    };

    private static PaymentKey KeyFor(PayableCode code, Caller? caller, Organisation organisation, DateTimeOffset now) => new()
    {
        Key = Secrets.Hex(16), OrganisationId = organisation.Id, UserId = caller?.User?.Id, Username = caller?.User?.Username,
        AmountMinor = code.AmountMinor, Currency = code.Currency, MerchantReference = code.MerchantReference,
        IsDemo = organisation.Mode == OrganisationModes.Test, Created = now, Expires = code.Expires ?? now + NeverLifetime,
        Details = code.Details(),
    };
}
