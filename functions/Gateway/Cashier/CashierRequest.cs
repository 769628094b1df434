using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Cashier;

/// <summary>Which of the cashier's endpoints a request was sent to: its body's shape and what it opens.</summary>
public enum CashierEntry
{
    Deposit,
    DirectDeposit,
    ServerToServer,
    Payout,
}

/// <summary>
/// A cashier request's <c>{"request": {...}}</c>, read and checked. Every problem is a 400 naming the field as the
/// client wrote it (<c>request[customer][email]</c>). <see cref="Card"/> is only ever held in memory.
/// </summary>
public sealed record CashierRequest(
    CashierEntry Entry, string? Mode, string Theme, string UserId, string TrackingId, string? Ip, long AmountMinor,
    string Currency, bool AmountRestricted, long? MaxDepositMinor, JsonObject Customer, int? ProviderId,
    CardDetails? Card)
{
    public string Type => Entry == CashierEntry.Payout ? CashierTypes.Withdrawal : CashierTypes.Deposit;

    public string Flow => Entry switch
    {
        CashierEntry.DirectDeposit => "direct",
        CashierEntry.ServerToServer => "s2s",
        _ => "hosted",
    };

    /// <summary>
    /// What a retry under the same tracking id must repeat: every field as read, the card only as its masked number
    /// and expiry (never its CVC), so the fingerprint is the same however the JSON was spelt.
    /// </summary>
    public string Fingerprint()
    {
        var shape = new JsonObject
        {
            ["entry"] = Entry.ToString(), ["mode"] = Mode, ["theme"] = Theme, ["user_id"] = UserId, ["ip"] = Ip,
            ["amount"] = AmountMinor, ["currency"] = Currency, ["amount_restricted"] = AmountRestricted,
            ["max_deposit_limit"] = MaxDepositMinor, ["customer"] = Customer.DeepClone(), ["provider"] = ProviderId,
            ["card"] = Card is null ? null : $"{Card.Masked} {Card.ExpiryMonth:D2}/{Card.ExpiryYear}",
        };
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shape.ToJsonString())));
    }

    public static CashierRequest Read(FormSection root, CashierEntry entry, DateTimeOffset now)
    {
        if (!root.Has("request")) throw ApiException.BadRequest("request",
            "is required: the body is {\"request\": {...}}.");
        var form = root.Section("request");
        _ = form.Section("settings"); // accepted, and must be a group when sent
        var mode = form.Text("mode", 8);
        if (mode is not null and not ("test" or "live")) throw ApiException.BadRequest(form.FieldName("mode"),
            "must be test or live.");
        var theme = form.Text("theme", 8) ?? "light";
        if (theme is not ("light" or "dark")) throw ApiException.BadRequest(form.FieldName("theme"),
            "must be light or dark.");

        var userId = form.TextOrNumber("user_id", 64) ?? throw Required(form, "user_id");
        var trackingId = form.TextOrNumber("tracking_id", 128) ?? throw Required(form, "tracking_id");
        var ip = form.Text("ip", 45);
        if (ip is not null && !IPAddress.TryParse(ip, out _)) throw ApiException.BadRequest(form.FieldName("ip"),
            "is not an IP address.");

        var amount = Money.Parse(form, "amount");
        var currency = form.Text("currency", 3) ?? throw Required(form, "currency");
        if (!Currencies.Supported.Contains(currency))
        {
            throw ApiException.BadRequest(form.FieldName("currency"),
                "is not a supported currency (ISO 4217, e.g. EUR).");
        }
        var restricted = form.Flag("amount_restricted") switch
        {
            null or "true" or "1" => true,
            "false" or "0" => false,
            _ => throw ApiException.BadRequest(form.FieldName("amount_restricted"), "must be true or false."),
        };

        var customerForm = form.Section("customer");
        var limit = customerForm.Has("max_deposit_limit")
            ? Money.Parse(customerForm, "max_deposit_limit")
            : (long?)null;
        if (limit is { } max && entry != CashierEntry.Payout && amount > max)
        {
            throw ApiException.BadRequest(form.FieldName("amount"),
                $"is more than the customer's max_deposit_limit of {Money.Format(max)}.");
        }

        int? provider = entry switch
        {
            CashierEntry.DirectDeposit => ReadProvider(form, "provider_id"),
            CashierEntry.ServerToServer => ReadProvider(form, "routing_id"),
            _ => null,
        };
        var card = entry == CashierEntry.ServerToServer ? ReadCard(form.Section("card_details"), now) : null;
        return new(entry, mode, theme, userId, trackingId, ip, amount, currency, restricted, limit,
            ReadCustomer(customerForm), provider, card);
    }

    /// <summary>The customer group as stored: each field checked, nothing but these fields kept.</summary>
    private static JsonObject ReadCustomer(FormSection form)
    {
        var customer = new JsonObject();
        foreach (var (field, max) in new[]
                 {
                     ("first_name", 100), ("last_name", 100), ("kyc_status", 32), ("zip_code", 16), ("address", 200),
                     ("city", 100),
                 })
        {
            if (form.Text(field, max) is { } text) customer[field] = text;
        }
        if (form.Text("email", 254) is { } email)
        {
            if (!MailAddress.TryCreate(email, out var address) || address.Address != email)
            {
                throw ApiException.BadRequest(form.FieldName("email"), "is not an e-mail address.");
            }
            customer["email"] = email;
        }
        if (form.Text("dob", 10) is { } dob)
        {
            if (!DateOnly.TryParseExact(dob, "dd/MM/yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                throw ApiException.BadRequest(form.FieldName("dob"), "must be a date as DD/MM/YYYY, e.g. 05/03/2000.");
            }
            customer["dob"] = dob;
        }
        if (CountryCode(form, "country_code") is { } country) customer["country_code"] = country;
        var phoneForm = form.Section("phone");
        var phone = new JsonObject();
        if (CountryCode(phoneForm, "country") is { } phoneCountry) phone["country"] = phoneCountry;
        if (Digits(phoneForm, "number", 15) is { } number) phone["number"] = number;
        if (Digits(phoneForm, "prefix", 4) is { } prefix) phone["prefix"] = prefix;
        if (phone.Count > 0) customer["phone"] = phone;
        return customer;
    }

    private static string? CountryCode(FormSection form, string field)
    {
        var code = form.Text(field, 2);
        return code is null || (code.Length == 2 && code.All(char.IsAsciiLetterUpper))
            ? code
            : throw ApiException.BadRequest(form.FieldName(field), "must be an ISO 3166 country code, e.g. GB.");
    }

    private static string? Digits(FormSection form, string field, int max)
    {
        var text = form.TextOrNumber(field, max);
        return text is null || text.All(char.IsAsciiDigit)
            ? text
            : throw ApiException.BadRequest(form.FieldName(field), "must be digits only.");
    }

    private static int ReadProvider(FormSection form, string field)
    {
        var text = form.TextOrNumber(field, 9) ?? throw Required(form, field);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw ApiException.BadRequest(form.FieldName(field), "must be a provider id, e.g. 210.");
    }

    /// <summary>The rules of <c>pay/direct</c>'s card, with the document's field names and a split expiry.</summary>
    private static CardDetails ReadCard(FormSection form, DateTimeOffset now)
    {
        if (!form.Has("card_number")) throw Required(form, "card_number");
        var number = (form.TextOrNumber("card_number", 32) ?? "").Replace(" ", "", StringComparison.Ordinal);
        if (number.Length is < 12 or > 19 || !number.All(char.IsAsciiDigit) || !CardDetails.PassesLuhn(number))
        {
            throw ApiException.BadRequest(form.FieldName("card_number"), "is not a valid card number.");
        }
        var month = form.TextOrNumber("exp_month", 2) is { } m
            && int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var mm) && mm is >= 1 and <= 12
            ? mm
            : throw ApiException.BadRequest(form.FieldName("exp_month"), "must be 01 to 12.");
        var year = form.TextOrNumber("exp_year", 4) is { Length: 4 } y
            && int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var yyyy)
            ? yyyy
            : throw ApiException.BadRequest(form.FieldName("exp_year"), "must be the year as YYYY, e.g. 2029.");
        if (year < now.Year || (year == now.Year && month < now.Month))
        {
            throw ApiException.BadRequest(form.FieldName("exp_year"), "is in the past: the card has expired.");
        }
        var cvc = form.TextOrNumber("cvc", 4) is { Length: 3 or 4 } c && c.All(char.IsAsciiDigit)
            ? c : throw ApiException.BadRequest(form.FieldName("cvc"), "must be 3 or 4 digits.");
        return new CardDetails(number, month, year, cvc, form.Text("holder_name", 100));
    }

    private static ApiException Required(FormSection form, string field) =>
        ApiException.BadRequest(form.FieldName(field), "is required.");
}
