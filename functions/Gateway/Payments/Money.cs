using System.Globalization;
using Gateway.Api;

namespace Gateway.Payments;

/// <summary>
/// Amounts as the API shows them ("10.00", "R10.00") and as the gateway keeps them: whole minor units (cents) in an
/// Int64, so no amount is ever rounded on its way through.
/// </summary>
public static class Money
{
    /// <summary>The largest amount accepted: decimal[10,2] in the API documents.</summary>
    public const long MaxMinor = 99_999_999_99;

    /// <summary>
    /// Reads a positive amount with at most two decimals ("10", "10.5", "10.50"); a JSON number is read from its
    /// literal text, never through a binary float.
    /// </summary>
    public static long Parse(FormSection form, string field, bool required = true)
    {
        var text = form.TextOrNumber(field, 16);
        if (text is null)
        {
            if (required) throw ApiException.BadRequest(form.FieldName(field), "is required.");
            return 0;
        }
        return TryParse(text, out var minor)
            ? minor
            : throw ApiException.BadRequest(form.FieldName(field), "must be a positive amount with at most 2 decimals, e.g. 10.00.");
    }

    public static bool TryParse(string text, out long minor)
    {
        minor = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
        if (value.Scale > 2 && value != decimal.Round(value, 2)) return false;
        if (value <= 0 || value * 100 > MaxMinor) return false;
        minor = (long)(value * 100);
        return true;
    }

    /// <summary>"10.00".</summary>
    public static string Format(long minor) =>
        (minor / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>"R10.00": the currency's symbol where it has a well-known one, else its code and a space.</summary>
    public static string Display(long minor, string currency) => Symbol(currency) + Format(minor);

    public static string Symbol(string currency) => currency switch
    {
        "ZAR" => "R",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "NGN" => "₦",
        "KES" => "KSh",
        "GHS" => "GH₵",
        "BWP" => "P",
        "NAD" => "N$",
        "LSL" => "M",
        "SZL" => "E",
        "MUR" => "Rs",
        _ => currency + " ",
    };

    /// <summary>ISO 4217 numeric codes, which acquirers speak (the documents' <c>"currency": "710"</c>).</summary>
    public static string NumericCode(string currency) => currency switch
    {
        "ZAR" => "710", "USD" => "840", "EUR" => "978", "GBP" => "826", "BWP" => "072", "NAD" => "516", "LSL" => "426",
        "SZL" => "748", "KES" => "404", "NGN" => "566", "GHS" => "936", "MUR" => "480", "TJS" => "972",
        _ => "000",
    };
}
