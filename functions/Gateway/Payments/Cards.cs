using System.Globalization;
using Gateway.Api;

namespace Gateway.Payments;

/// <summary>
/// A card as entered, validated. It lives only for the length of one request: the number is kept afterwards only
/// masked (<see cref="Masked"/>, first six and last four) and the CVV never leaves memory.
/// </summary>
public sealed record CardDetails(string Number, int ExpiryMonth, int ExpiryYear, string Cvv, string? Holder)
{
    /// <summary>
    /// The first six digits, or fewer for a number under 15 digits: at least five digits always stay hidden, or the
    /// shown ones and Luhn would leave only a few hundred candidates for the whole number.
    /// </summary>
    public string Bin => Number[..VisibleStart(Number.Length)];
    public string Last4 => Number[^4..];

    /// <summary>"424242******4242": the form the API documents show (see <see cref="Bin"/> for short numbers).</summary>
    public string Masked => Bin + new string('*', Number.Length - Bin.Length - 4) + Last4;

    /// <summary>How many leading characters of a card number may be shown: six, leaving at least five hidden before the last four.</summary>
    public static int VisibleStart(int length) => Math.Clamp(length - 9, 0, 6);

    public string Brand => Number[0] switch
    {
        '4' => "Visa",
        '5' or '2' => "Mastercard",
        '3' => Number[1] is '4' or '7' ? "American Express" : "Diners",
        '6' => "Discover",
        _ => "Card",
    };

    public override string ToString() => $"card {Masked}"; // never the number or CVV, whatever logs this

    /// <summary>
    /// Reads and checks <c>pan</c> (12–19 digits passing Luhn; spaces and dashes allowed), <c>expiry</c> (MMYY, not
    /// in the past in the organisation's zone) and <c>cvv</c> (3 or 4 digits: what real cards carry, Amex using 4;
    /// the documents' "3 to 5" would accept numbers no card has).
    /// </summary>
    public static CardDetails Read(FormSection form, DateTimeOffset now, TimeZoneInfo zone,
        string panField = "pan", string expiryField = "expiry", string cvvField = "cvv", string? holder = null)
    {
        var (card, problem) = Check(form, now, zone, panField, expiryField, cvvField, holder);
        return problem is null ? card! : throw ApiException.BadRequest(problem.Field, problem.Problem);
    }

    /// <summary>
    /// The rules of <see cref="Read"/>, for callers that report an unusable card rather than refuse the request (the
    /// card enquiry): a number failing Luhn or of the wrong length, or an expiry in the past, comes back as the
    /// problem; a missing or malformed field (letters, a month 13, a 2-digit CVV) still throws the 400.
    /// </summary>
    public static (CardDetails? Card, CardProblem? Problem) Check(FormSection form, DateTimeOffset now, TimeZoneInfo zone,
        string panField = "pan", string expiryField = "expiry", string cvvField = "cvv", string? holder = null)
    {
        var pan = (form.TextOrNumber(panField, 32) ?? throw ApiException.BadRequest(form.FieldName(panField), "is required."))
            .Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (pan.Length == 0 || !pan.All(char.IsAsciiDigit)) throw ApiException.BadRequest(form.FieldName(panField), "is not a valid card number.");
        CardProblem? problem = pan.Length is < 12 or > 19 || !PassesLuhn(pan) ? new CardProblem(form.FieldName(panField), "is not a valid card number.") : null;

        var expiry = form.TextOrNumber(expiryField, 8) ?? throw ApiException.BadRequest(form.FieldName(expiryField), "is required.");
        if (expiry.Length == 3) expiry = "0" + expiry; // a JSON number loses the leading zero of 0129
        if (expiry.Length != 4 || !expiry.All(char.IsAsciiDigit)
            || int.Parse(expiry[..2], CultureInfo.InvariantCulture) is < 1 or > 12)
        {
            throw ApiException.BadRequest(form.FieldName(expiryField), "must be the month and year as MMYY, e.g. 0129.");
        }
        var month = int.Parse(expiry[..2], CultureInfo.InvariantCulture);
        var year = 2000 + int.Parse(expiry[2..], CultureInfo.InvariantCulture);
        var today = TimeZoneInfo.ConvertTime(now, zone);
        if (year < today.Year || (year == today.Year && month < today.Month))
        {
            problem ??= new CardProblem(form.FieldName(expiryField), "is in the past: the card has expired.");
        }

        var cvv = form.TextOrNumber(cvvField, 8) ?? throw ApiException.BadRequest(form.FieldName(cvvField), "is required.");
        if (cvv.Length is < 3 or > 4 || !cvv.All(char.IsAsciiDigit))
        {
            throw ApiException.BadRequest(form.FieldName(cvvField), "must be 3 or 4 digits.");
        }
        return problem is null ? (new CardDetails(pan, month, year, cvv, holder), null) : (null, problem);
    }

    public static bool PassesLuhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return sum % 10 == 0;
    }
}

/// <summary>Why a well-formed card cannot be used: the field at fault, and the problem in the API's words.</summary>
public sealed record CardProblem(string Field, string Problem);
