using System.Text.RegularExpressions;
using Gateway.Api;

namespace Gateway.Express;

/// <summary>Who a message may go to: a mobile number or a bare e-mail address, as the request gives them.</summary>
public static partial class Recipients
{
    /// <summary>Digits with an optional leading +, in international form (27821112222); spaces and dashes are dropped.</summary>
    public static string MobileNumber(FormSection form, string field)
    {
        var text = form.TextOrNumber(field, 32) ?? throw ApiException.BadRequest(form.FieldName(field), "is required.");
        var number = text.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return MobileShape().IsMatch(number) ? number
            : throw ApiException.BadRequest(form.FieldName(field), "must be a mobile number of 9 to 15 digits, e.g. 27821112222.");
    }

    public static string Email(FormSection form, string field)
    {
        var text = form.Text(field, 254) ?? throw ApiException.BadRequest(form.FieldName(field), "is required.");
        // A bare address only: a display name or a second address would let a request mail someone it does not name.
        return System.Net.Mail.MailAddress.TryCreate(text, out var address) && address.Address == text
            && address.DisplayName.Length == 0 && EmailShape().IsMatch(text)
            ? text
            : throw ApiException.BadRequest(form.FieldName(field), "must be a valid e-mail address.");
    }

    [GeneratedRegex(@"^\+?[0-9]{9,15}$")]
    private static partial Regex MobileShape();

    [GeneratedRegex(@"^[^@\s<>()\[\],;:""]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")]
    private static partial Regex EmailShape();
}
