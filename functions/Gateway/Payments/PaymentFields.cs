using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Platform;

namespace Gateway.Payments;

/// <summary>The banks of the EFT flow, by the names the documents use.</summary>
public static class Banks
{
    public static readonly IReadOnlyList<string> All = ["ABSA", "Nedbank", "Capitec", "FNB", "Standard", "Investec"];

    public static string? Find(string name) => All.FirstOrDefault(b => b.Equals(name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Reading and checking the fields shared by the payment requests.</summary>
public static class PaymentFields
{
    public const int MaxReferenceLength = 64;

    /// <summary>An absolute http(s) URL the payer or a webhook is sent to.</summary>
    public static string? Url(FormSection form, string field)
    {
        var text = form.Text(field, 2048);
        if (text is null) return null;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? uri.AbsoluteUri
            : throw ApiException.BadRequest(form.FieldName(field), "must be an absolute http or https URL.");
    }

    public static string Reference(FormSection form, string field, int maxLength) =>
        form.Text(field, maxLength) ?? throw ApiException.BadRequest(form.FieldName(field), "is required.");

    /// <summary>0/1, true/false (text or JSON); absent is false.</summary>
    public static bool Flag(FormSection form, string field) => form.Flag(field)?.ToLowerInvariant() switch
    {
        null or "0" or "false" => false,
        "1" or "true" => true,
        _ => throw ApiException.BadRequest(form.FieldName(field), "must be 0 or 1."),
    };

    /// <summary>Like <see cref="Flag"/>, but absent (or empty) is null: "not said", for settings with a default elsewhere.</summary>
    public static bool? OptionalFlag(FormSection form, string field) =>
        form.Flag(field) is null ? null : Flag(form, field);

    public static string Currency(FormSection form, string field, Organisation organisation)
    {
        var code = form.Text(field, 3)?.ToUpperInvariant() ?? organisation.Currency;
        return Currencies.Supported.Contains(code)
            ? code
            : throw ApiException.BadRequest(form.FieldName(field), $"must be one of: {string.Join(", ", Currencies.Supported)}.");
    }

    /// <summary>Everything of <c>POST /api/v1/payment-key</c> but the key itself, checked.</summary>
    public static PaymentKey ReadPaymentKey(FormSection form, Caller caller, Organisation organisation, DateTimeOffset now, TimeSpan lifetime)
    {
        var paymentType = form.Text("payment_type", 16)?.ToLowerInvariant();
        if (paymentType is not (null or PaymentTypes.Eft or PaymentTypes.Card))
        {
            throw ApiException.BadRequest(form.FieldName("payment_type"), "must be eft or credit_card.");
        }
        // EFT mandates are not stored by this gateway, so no eft_token can be valid, and saying so beats ignoring it.
        if (form.Text("eft_token", 64) is not null) throw ApiException.BadRequest(form.FieldName("eft_token"), "does not name a stored token.");
        // A card token is a stored card's guid; that it is one of this organisation's is checked by the caller (a read).
        Guid? cardToken = form.Text("card_token", 64) is not { } token ? null
            : paymentType != PaymentTypes.Card ? throw ApiException.BadRequest(form.FieldName("card_token"), "can only be sent with payment_type credit_card.")
            : Guid.TryParse(token, out var guid) ? guid
            : throw ApiException.BadRequest(form.FieldName("card_token"), "does not name a stored card.");
        var cardToken3ds = OptionalFlag(form, "card_token_3ds");

        var customerBank = form.Text("customer_bank", 32);
        if (customerBank is not null && Banks.Find(customerBank) is null)
        {
            throw ApiException.BadRequest(form.FieldName("customer_bank"), $"must be one of: {string.Join(", ", Banks.All)}.");
        }

        return new PaymentKey
        {
            Key = "",
            OrganisationId = organisation.Id,
            UserId = caller.User?.Id,
            Username = caller.User?.Username,
            AmountMinor = Money.Parse(form, "amount"),
            Currency = Currency(form, "currency_code", organisation),
            MerchantReference = Reference(form, "merchant_reference", MaxReferenceLength),
            CustomerReference = form.Text("customer_reference", MaxReferenceLength),
            SuccessUrl = Url(form, "success_url"),
            ErrorUrl = Url(form, "error_url"),
            CancelUrl = Url(form, "cancel_url"),
            NotifyUrl = Url(form, "notify_url"),
            PendingUrl = Url(form, "pending_url"),
            PaymentType = paymentType,
            CustomerBank = customerBank is null ? null : Banks.Find(customerBank),
            ListedBeneficiaryAccount = ListedAccount(form),
            DefaultBeneficiaryReference = form.Text("default_beneficiary_reference", MaxReferenceLength),
            Beneficiary = ReadBeneficiary(form, organisation.ApiSalt),
            IsAuthorisation = Flag(form, "is_authorisation") && paymentType != PaymentTypes.Eft,
            CardToken = cardToken,
            CardToken3ds = cardToken3ds,
            IsDemo = organisation.Mode == OrganisationModes.Test,
            Created = now,
            Expires = now + lifetime,
        };
    }

    /// <summary>A string, or one reference per bank (<c>listed_beneficiary_account[absa]=...</c>).</summary>
    private static string? ListedAccount(FormSection form)
    {
        const string field = "listed_beneficiary_account";
        if (!form.Has(field)) return null;
        IReadOnlyList<KeyValuePair<string, string>> map;
        try
        {
            map = form.Map(field);
        }
        catch (ApiException)
        {
            return JsonSerializer.Serialize(Reference(form, field, MaxReferenceLength));
        }
        foreach (var (bank, _) in map)
        {
            if (Banks.Find(bank) is null)
            {
                throw ApiException.BadRequest($"{form.FieldName(field)}[{bank}]", $"is not a bank; use one of: {string.Join(", ", Banks.All)}.");
            }
        }
        return JsonSerializer.Serialize(map.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value));
    }

    /// <summary>
    /// A custom beneficiary needs all four fields and the hash: SHA-256 (hex) of account number, name, type, bank
    /// and the organisation's API salt, concatenated and lower-cased. Only then does money go to that account.
    /// </summary>
    private static Beneficiary? ReadBeneficiary(FormSection form, string apiSalt)
    {
        var number = form.Text("beneficiary_account_number", 32);
        if (number is null)
        {
            foreach (var field in new[] { "beneficiary_name", "beneficiary_account_type", "beneficiary_bank", "hash" })
            {
                if (form.Text(field, 256) is not null) throw ApiException.BadRequest(form.FieldName(field), "needs beneficiary_account_number.");
            }
            return null;
        }
        var name = form.Text("beneficiary_name", 100) ?? throw ApiException.BadRequest(form.FieldName("beneficiary_name"), "is required with beneficiary_account_number.");
        var type = form.Text("beneficiary_account_type", 16) ?? throw ApiException.BadRequest(form.FieldName("beneficiary_account_type"), "is required with beneficiary_account_number.");
        if (type.ToLowerInvariant() is not ("cheque" or "savings" or "transmission"))
        {
            throw ApiException.BadRequest(form.FieldName("beneficiary_account_type"), "must be cheque, savings or transmission.");
        }
        var bank = form.Text("beneficiary_bank", 32) ?? throw ApiException.BadRequest(form.FieldName("beneficiary_bank"), "is required with beneficiary_account_number.");
        if (Banks.Find(bank) is null) throw ApiException.BadRequest(form.FieldName("beneficiary_bank"), $"must be one of: {string.Join(", ", Banks.All)}.");
        var hash = form.Text("hash", 64) ?? throw ApiException.BadRequest(form.FieldName("hash"), "is required with beneficiary_account_number.");

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((number + name + type + bank + apiSalt).ToLowerInvariant())));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(hash.ToLowerInvariant())))
        {
            throw ApiException.BadRequest(form.FieldName("hash"), "does not match the beneficiary details and your API salt.");
        }
        return new Beneficiary(number, name, type.ToLowerInvariant(), Banks.Find(bank)!);
    }
}
