using System.Net.Mail;
using System.Text.RegularExpressions;
using Gateway.Api;

namespace Gateway.Identity;

/// <summary>What usernames may look like: 3–64 of letters, digits and <c>. _ @ + -</c>, starting with a letter or digit.</summary>
public static partial class Usernames
{
    public static bool IsValid(string username) => Pattern().IsMatch(username);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@+-]{2,63}$")]
    private static partial Regex Pattern();
}

/// <summary>
/// The <c>User[...]</c> fields of a create or update, validated. A field that was not sent is null in
/// <see cref="Sent"/>'s sense: updates change only what was sent, and an empty value clears an optional field.
/// </summary>
public sealed partial record UserFields(
    FormSection Form,
    string? Username,
    string? Role,
    string? Password,
    string? Name,
    string? Lastname,
    string? Email,
    string? ContactNumber,
    string? Extension)
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;

    public bool Sent(string field) => Form.Has(field);

    /// <summary>For updates: username, role and password may be left out, but not sent empty.</summary>
    public void RefuseBlankRequired()
    {
        foreach (var (field, value) in new[] { ("username", Username), ("role", Role), ("password", Password) })
        {
            if (Sent(field) && value is null) throw ApiException.BadRequest(Form.FieldName(field), "cannot be blank.");
        }
    }

    public static UserFields Read(FormSection user)
    {
        var username = user.Text("username", 64);
        if (username is not null && !Usernames.IsValid(username))
        {
            throw ApiException.BadRequest(user.FieldName("username"),
                "must be 3 to 64 letters, digits or . _ @ + -, starting with a letter or digit.");
        }

        var role = user.Text("role", 32);
        if (role is not null && !Roles.Organisation.Contains(role))
        {
            throw ApiException.BadRequest(user.FieldName("role"), $"must be one of: {string.Join(", ", Roles.Organisation)}.");
        }

        // Passwords are taken as sent (no trimming): spaces are legitimate password characters.
        var password = user.Secret("password", MaxPasswordLength);
        if (password is not null && password.Length < MinPasswordLength)
        {
            throw ApiException.BadRequest(user.FieldName("password"), $"must be at least {MinPasswordLength} characters.");
        }

        var email = user.Text("email", 254);
        if (email is not null && (!MailAddress.TryCreate(email, out var address) || address.Address != email || !email.Contains('.', StringComparison.Ordinal)))
        {
            throw ApiException.BadRequest(user.FieldName("email"), "must be a valid email address.");
        }

        var contact = user.TextOrNumber("contact_number", 16);
        if (contact is not null && !PhoneNumber().IsMatch(contact))
        {
            throw ApiException.BadRequest(user.FieldName("contact_number"), "must be a phone number of 7 to 15 digits, optionally starting with +.");
        }

        var extension = user.TextOrNumber("extension", 8);
        if (extension is not null && !ExtensionPattern().IsMatch(extension))
        {
            throw ApiException.BadRequest(user.FieldName("extension"), "must be 2 to 8 digits.");
        }

        return new UserFields(user, username, role, password, user.Text("name", 100), user.Text("lastname", 100), email, contact, extension);
    }

    [GeneratedRegex(@"^\+?[0-9]{7,15}$")]
    private static partial Regex PhoneNumber();

    [GeneratedRegex("^[0-9]{2,8}$")]
    private static partial Regex ExtensionPattern();
}
