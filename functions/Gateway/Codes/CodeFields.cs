using System.Globalization;
using Gateway.Api;
using Gateway.Express;
using Gateway.Payments;

namespace Gateway.Codes;

/// <summary>A code's settings as a create or update gives them, checked.</summary>
public sealed record CodeRequest(
    long AmountMinor, string MerchantReference, string ShortDescription, DateTimeOffset? Expires, bool UseOnce,
    bool RequestPartialPayment, bool RequestTip, string? SubMerchantName, string? TerminalId, IReadOnlyList<string> SmsNotify,
    IReadOnlyList<string> EmailNotify, string? Rrn2, IReadOnlyList<BasketLimit> LimitBasket, string? ProductUrl);

/// <summary>
/// The document's request fields. Its statuses: a missing mandatory field (or a body that is not JSON or a form) is
/// 400; a field that is there but wrong is 440, "validation error", naming the field.
/// </summary>
public static class CodeFields
{
    public const int ValidationError = 440;
    public const int MaxSms = 3;
    public const int MaxEmail = 5;

    /// <summary>Without <c>expiryDate</c> a code lives 30 minutes, as documented.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(30);

    public static readonly string[] ItemTypes = ["AIRTIME", "AIRTIME_BUNDLE"];

    public static ApiException Invalid(string field, string problem) => new(ValidationError, $"{field}: {problem}");

    public static CodeRequest ReadCreate(FormSection form, DateTimeOffset now, bool basketLimits)
    {
        Require(form, "amount", "merchantReference", "shortDescription");
        var amount = Amount(form, "amount", zeroIsVariable: true);
        return Read(form, now, amount, basketLimits);
    }

    /// <summary>The update's fields: as a create, but a blank or absent amount makes the code's amount variable.</summary>
    public static CodeRequest ReadUpdate(FormSection form, DateTimeOffset now, bool basketLimits)
    {
        Require(form, "merchantReference", "shortDescription");
        return Read(form, now, form.Has("amount") ? Amount(form, "amount", zeroIsVariable: true) : 0, basketLimits);
    }

    /// <summary>
    /// With the organisation's basket limits on, a basket must add up to the code's amount: then no payment of the
    /// code (at most its amount, tips aside) tops up more than the basket allows for its numbers.
    /// </summary>
    public static void CheckBasket(IReadOnlyList<BasketLimit> basket, long amountMinor, bool basketLimits)
    {
        if (basketLimits && basket.Count > 0 && basket.Sum(b => b.AmountMinor) != amountMinor)
        {
            throw Invalid("limitBasket", "must add up to the code's amount: the organisation's basket limits are on.");
        }
    }

    /// <summary><c>PUT /api/code/{code}/amount</c>: a new amount (not variable) and, optionally, a new expiry.</summary>
    public static (long AmountMinor, DateTimeOffset? Expires) ReadAmount(FormSection form, DateTimeOffset now)
    {
        Require(form, "amount");
        return (Amount(form, "amount", zeroIsVariable: false), Expiry(form, now, allowNever: false));
    }

    private static CodeRequest Read(FormSection form, DateTimeOffset now, long amount, bool basketLimits)
    {
        var partial = Flag(form, "requestPartialPayment", false);
        var tip = Flag(form, "requestTip", false);
        if (tip && !partial) throw Invalid("requestTip", "needs requestPartialPayment to be true.");
        var useOnce = Flag(form, "useOnce", true);
        var basket = Basket(form);
        // The document also rules out use-once codes and partial payments, yet its own example has both: only the
        // rule its examples keep is enforced.
        if (basket.Count > 0 && amount == 0) throw Invalid("limitBasket", "cannot be used with a variable amount.");
        CheckBasket(basket, amount, basketLimits);
        return new CodeRequest(amount, Check(() => PaymentFields.Reference(form, "merchantReference", PaymentFields.MaxReferenceLength)),
            Description(form), Expiry(form, now, allowNever: true), useOnce, partial, tip,
            Check(() => form.Text("subMerchantName", 64)), TerminalId(form), Numbers(form), Emails(form), Rrn2(form), basket,
            ProductUrl(form));
    }

    /// <summary>A field the document calls mandatory: absent or empty is "missing parameter", 400.</summary>
    private static void Require(FormSection form, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (!form.Has(field) || Check(() => form.TextOrNumber(field, 4096)) is null)
            {
                throw ApiException.BadRequest(form.FieldName(field), "is required.");
            }
        }
    }

    /// <summary>Runs a reader of the shared field rules, its 400 for a present but wrong field becoming the 440.</summary>
    private static T Check<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ApiException error) when (error.Status == StatusCodes.Status400BadRequest)
        {
            throw new ApiException(ValidationError, error.Message);
        }
    }

    private static long Amount(FormSection form, string field, bool zeroIsVariable)
    {
        var text = Check(() => form.TextOrNumber(field, 16));
        if (text is null) return 0;
        if (zeroIsVariable && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d == 0)
        {
            return 0;
        }
        return Money.TryParse(text, out var minor) ? minor
            : throw Invalid(field, zeroIsVariable ? "must be 0 (variable) or a positive amount with at most 2 decimals."
                : "must be a positive amount with at most 2 decimals.");
    }

    private static bool Flag(FormSection form, string field, bool absent) =>
        Check(() => form.Flag(field)) is null ? absent : Check(() => PaymentFields.Flag(form, field));

    private static string Description(FormSection form)
    {
        var text = Check(() => form.Text("shortDescription", 45)) ?? throw Invalid("shortDescription", "is required.");
        return text.Length >= 5 ? text : throw Invalid("shortDescription", "must be 5 to 45 characters.");
    }

    /// <summary>Epoch milliseconds; absent or empty is 30 minutes from now; 0 is never (where allowed).</summary>
    private static DateTimeOffset? Expiry(FormSection form, DateTimeOffset now, bool allowNever)
    {
        var text = Check(() => form.TextOrNumber("expiryDate", 20));
        if (text is null) return now + DefaultLifetime;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var millis)
            || millis > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw Invalid("expiryDate", "must be a time in epoch milliseconds, e.g. 1375293705000.");
        }
        if (millis == 0)
        {
            return allowNever ? null : throw Invalid("expiryDate", "must be a time in the future here (0, never, only on create and update).");
        }
        var until = DateTimeOffset.FromUnixTimeMilliseconds(millis);
        return until > now ? until : throw Invalid("expiryDate", "is in the past.");
    }

    private static string? TerminalId(FormSection form)
    {
        var text = Check(() => form.TextOrNumber("terminalId", 16));
        return text is null || text.All(char.IsAsciiLetterOrDigit) ? text : throw Invalid("terminalId", "must be letters and digits, at most 16.");
    }

    /// <summary>Up to 12 digits, left-filled with zeros to the document's 12 characters.</summary>
    private static string? Rrn2(FormSection form)
    {
        var text = Check(() => form.TextOrNumber("rrn2", 12));
        return text is null ? null
            : text.All(char.IsAsciiDigit) ? text.PadLeft(12, '0')
            : throw Invalid("rrn2", "must be at most 12 digits.");
    }

    private static string? ProductUrl(FormSection form)
    {
        var text = Check(() => form.Text("productURL", 2048));
        return text is null || Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? text
            : throw Invalid("productURL", "must be a full URL starting with http or https.");
    }

    /// <summary>A list (JSON array or form list) or one comma-separated text, as the document allows.</summary>
    private static IReadOnlyList<string> Items(FormSection form, string field) =>
        [.. Check(() => form.List(field)).SelectMany(i => i.Split(',')).Select(i => i.Trim()).Where(i => i.Length > 0)];

    private static IReadOnlyList<string> Numbers(FormSection form)
    {
        var numbers = Items(form, "smsNotify");
        if (numbers.Count > MaxSms) throw Invalid("smsNotify", $"takes at most {MaxSms} numbers.");
        return [.. numbers.Select(n => Named("smsNotify", () => Recipients.MobileNumber(Single(n), "value")))
            .Select(n => n.StartsWith('+') ? n[1..] : n)];
    }

    private static IReadOnlyList<string> Emails(FormSection form)
    {
        var addresses = Items(form, "emailNotify");
        if (addresses.Count > MaxEmail) throw Invalid("emailNotify", $"takes at most {MaxEmail} addresses.");
        return [.. addresses.Select(a => Named("emailNotify", () => Recipients.Email(Single(a), "value")))];
    }

    /// <summary>A list item checked by a field reader, its problem reported against the list's field.</summary>
    private static string Named(string field, Func<string> read)
    {
        try
        {
            return read();
        }
        catch (ApiException error) when (error.Status == StatusCodes.Status400BadRequest)
        {
            throw Invalid(field, error.Message.Replace("value: ", "each ", StringComparison.Ordinal));
        }
    }

    private static FormSection Single(string value) =>
        new(null, new System.Text.Json.Nodes.JsonObject { ["value"] = value });

    private static IReadOnlyList<BasketLimit> Basket(FormSection form) =>
    [
        .. Check(() => form.Sections("limitBasket")).Select(item =>
        {
            var destination = Check(() => Recipients.MobileNumber(item, "destination"));
            var type = Check(() => item.Text("itemType", 16));
            if (type is null || !ItemTypes.Contains(type)) throw Invalid(item.FieldName("itemType"), "must be AIRTIME or AIRTIME_BUNDLE.");
            return new BasketLimit(destination, type, Check(() => Money.Parse(item, "amount")));
        }),
    ];
}
