using System.Globalization;
using System.Net.Mail;
using System.Security.Cryptography;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Collections;

/// <summary>
/// The set-up side of collections: customers, their bank accounts, mandates and payments, validated and written with
/// ETag-checked changes. The submission runner and the bank's answers take it from there.
/// </summary>
public sealed class CollectionsService(CollectionsStore store, CardCipher cipher, DebitOrderCalendar calendar, TimeProvider time)
{
    /// <summary>The banks accepted, with their universal branch codes (a branch's own code is accepted too).</summary>
    public static readonly IReadOnlyDictionary<string, string> Banks = new Dictionary<string, string>
    {
        ["absa"] = "632005", ["african_bank"] = "430000", ["bidvest_bank"] = "462005", ["capitec"] = "470010",
        ["discovery_bank"] = "679000", ["fnb"] = "250655", ["investec"] = "580105", ["nedbank"] = "198765",
        ["standard_bank"] = "051001", ["tymebank"] = "678910",
    };

    public static readonly string[] AccountTypes = ["cheque", "savings", "transmission"];

    /// <summary>How far ahead a first action date may be.</summary>
    public static readonly TimeSpan MaxLead = TimeSpan.FromDays(366);

    public async Task<StoredResponse> CreateCustomerAsync(Organisation organisation, FormSection form, IdempotencyScope scope,
        Func<Customer, StoredResponse> answer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var c = new Customer(CollectionsIds.New(CollectionsIds.Customer, now), organisation.Now(time), null,
            Required(form, "first_name", 100), Required(form, "last_name", 100), Email(form), Mobile(form));
        return await InsertAsync(CollectionsStore.Row(organisation.Id, c.Id, c, CollectionStates.Active), scope, answer(c),
            cancellationToken);
    }

    /// <summary>Changes the fields sent; an empty email or mobile clears it.</summary>
    public Task<Customer> UpdateCustomerAsync(Organisation organisation, string id, FormSection form,
        CancellationToken cancellationToken) =>
        ChangeAsync<Customer>(organisation, id, CollectionsIds.Customer, c => c with
        {
            Updated = organisation.Now(time),
            FirstName = form.Has("first_name") ? Required(form, "first_name", 100) : c.FirstName,
            LastName = form.Has("last_name") ? Required(form, "last_name", 100) : c.LastName,
            Email = form.Has("email") ? Email(form) : c.Email,
            Mobile = form.Has("mobile") ? Mobile(form) : c.Mobile,
        }, c => CollectionsStore.Row(organisation.Id, c.Id, c, CollectionStates.Active), cancellationToken);

    public async Task<StoredResponse> CreateBankAccountAsync(Organisation organisation, FormSection form, IdempotencyScope scope,
        Func<BankAccount, StoredResponse> answer, CancellationToken cancellationToken)
    {
        var customer = await RequireAsync<Customer>(organisation, form, "customers_id", CollectionsIds.Customer, cancellationToken);
        var bank = Required(form, "bank", 32).ToLowerInvariant();
        if (!Banks.ContainsKey(bank))
        {
            throw ApiException.BadRequest(form.FieldName("bank"), "must be one of " + string.Join(", ", Banks.Keys) + ".");
        }
        var branch = Required(form, "branch_code", 6);
        if (branch.Length != 6 || !branch.All(char.IsAsciiDigit))
        {
            throw ApiException.BadRequest(form.FieldName("branch_code"), "must be the 6-digit branch code, e.g. " + Banks[bank] + ".");
        }
        // The account numbers South African banks issue are 7 to 11 digits; each bank's check-digit routine is its own
        // and is applied by the bank on submission, which answers "NO SUCH ACCOUNT" for a number it does not hold.
        var number = form.TextOrNumber("account_number", 11) ?? throw Missing(form, "account_number");
        if (number.Length < 7 || !number.All(char.IsAsciiDigit))
        {
            throw ApiException.BadRequest(form.FieldName("account_number"), "must be 7 to 11 digits.");
        }
        var type = Required(form, "account_type", 16).ToLowerInvariant();
        if (!AccountTypes.Contains(type))
        {
            throw ApiException.BadRequest(form.FieldName("account_type"), "must be one of " + string.Join(", ", AccountTypes) + ".");
        }
        var id = CollectionsIds.New(CollectionsIds.BankAccount, time.GetUtcNow());
        var (keyId, sealedNumber) = cipher.Seal(number, SealContext(organisation.Id, id));
        var account = new BankAccount(id, organisation.Now(time), null, customer.Value.Id, bank, branch, type,
            Required(form, "account_holder", 100), new string('*', number.Length - 4) + number[^4..], keyId, sealedNumber,
            CollectionStates.Active);
        return await InsertAsync(CollectionsStore.Row(organisation.Id, id, account, CollectionStates.Active), scope, answer(account),
            cancellationToken);
    }

    /// <summary>The account's number, for the bank only.</summary>
    public string AccountNumber(long organisationId, BankAccount account) =>
        cipher.Open(account.KeyId, account.AccountSealed, SealContext(organisationId, account.Id));

    private static string SealContext(long organisationId, string accountId) => $"collections-account|{organisationId}|{accountId}";

    /// <summary>Cancels an account no live mandate uses.</summary>
    public async Task<BankAccount> CancelBankAccountAsync(Organisation organisation, string id, CancellationToken cancellationToken)
    {
        await foreach (var m in store.ListAsync<Mandate>(organisation.Id, CollectionsIds.Mandate, null,
            TableClient.CreateQueryFilter($"Parent eq {id} and (State eq {CollectionStates.Active} or State eq {CollectionStates.Pending})"),
            cancellationToken))
        {
            throw ApiException.Conflict($"Bank account {id} is used by mandate {m.Value.Id}; cancel the mandate first.");
        }
        return await ChangeAsync<BankAccount>(organisation, id, CollectionsIds.BankAccount,
            b => b with { Updated = organisation.Now(time), Status = CollectionStates.Cancelled },
            b => CollectionsStore.Row(organisation.Id, b.Id, b, b.Status), cancellationToken);
    }

    public async Task<StoredResponse> CreateMandateAsync(Organisation organisation, FormSection form, IdempotencyScope scope,
        Func<Mandate, StoredResponse> answer, CancellationToken cancellationToken)
    {
        RequireTestMode(organisation);
        var customer = await RequireAsync<Customer>(organisation, form, "customers_id", CollectionsIds.Customer, cancellationToken);
        var account = await RequireAsync<BankAccount>(organisation, form, "bank_accounts_id", CollectionsIds.BankAccount,
            cancellationToken);
        if (account.Value.CustomerId != customer.Value.Id)
        {
            throw ApiException.BadRequest(form.FieldName("bank_accounts_id"), "is not an account of this customer.");
        }
        if (account.Value.Status != CollectionStates.Active)
        {
            throw ApiException.Conflict($"Bank account {account.Value.Id} is cancelled.");
        }
        var method = Required(form, "payment_methods_id", 32);
        if (!CollectionsCatalogue.IsPaymentMethod(method))
        {
            throw ApiException.BadRequest(form.FieldName("payment_methods_id"), "is not a payment method of GET /api/collections/payment-methods.");
        }
        var mandate = new Mandate(CollectionsIds.New(CollectionsIds.Mandate, time.GetUtcNow()), organisation.Now(time), null,
            customer.Value.Id, account.Value.Id, method,
            // The merchant holds the debtor's signed EFT mandate; DebiCheck waits for the debtor's own approval.
            method == CollectionsCatalogue.DebiCheck ? CollectionStates.Pending : CollectionStates.Active,
            Reference(organisation.Name), null);
        // The runner asks debtors to approve DebiCheck mandates; it visits organisations that registered.
        await store.RegisterAsync(organisation.Id, cancellationToken);
        return await InsertAsync(CollectionsStore.Row(organisation.Id, mandate), scope, answer(mandate), cancellationToken);
    }

    /// <summary>Cancels a mandate; its payments stop at their next due date.</summary>
    public Task<Mandate> CancelMandateAsync(Organisation organisation, string id, CancellationToken cancellationToken) =>
        ChangeAsync<Mandate>(organisation, id, CollectionsIds.Mandate, m => m.Status is CollectionStates.Rejected
                ? throw ApiException.Conflict($"Mandate {id} was rejected; there is nothing to cancel.")
                : m with { Updated = organisation.Now(time), Status = CollectionStates.Cancelled },
            m => CollectionsStore.Row(organisation.Id, m), cancellationToken);

    public async Task<StoredResponse> CreatePaymentAsync(Organisation organisation, FormSection form, IdempotencyScope scope,
        Func<CollectionPayment, StoredResponse> answer, CancellationToken cancellationToken)
    {
        RequireTestMode(organisation);
        var mandate = await RequireAsync<Mandate>(organisation, form, "mandates_id", CollectionsIds.Mandate, cancellationToken);
        if (mandate.Value.Status is CollectionStates.Cancelled or CollectionStates.Rejected)
        {
            throw ApiException.Conflict($"Mandate {mandate.Value.Id} is {mandate.Value.Status}.");
        }
        var amount = Money.Parse(form, "amount");
        var frequency = Required(form, "frequency", 16).ToLowerInvariant();
        if (!CollectionFrequencies.All.Contains(frequency))
        {
            throw ApiException.BadRequest(form.FieldName("frequency"), "must be once, weekly or monthly.");
        }
        var today = Today(organisation);
        var actionDate = ReadDate(form, "action_date");
        if (actionDate < today) throw ApiException.BadRequest(form.FieldName("action_date"), "must not be before today.");
        if (actionDate > today.AddDays((int)MaxLead.TotalDays))
        {
            throw ApiException.BadRequest(form.FieldName("action_date"), "must be within a year.");
        }
        var reference = Required(form, "transaction_reference", 128);
        var payment = new CollectionPayment(CollectionsIds.New(CollectionsIds.Payment, time.GetUtcNow()), organisation.Now(time), null,
            mandate.Value.Id, mandate.Value.CustomerId, mandate.Value.BankAccountId, mandate.Value.PaymentMethodId, amount,
            frequency, actionDate, reference, form.Text("description", 255), CollectionStates.Active, 0);
        await store.RegisterAsync(organisation.Id, cancellationToken);
        // The reference is the payment's, so a record lookup by it is unambiguous: claimed with the insert.
        var response = answer(payment);
        if (await store.SubmitAsync([TableActions.Insert(CollectionsStore.Row(organisation.Id, payment)),
                CollectionsStore.ClaimReference(organisation.Id, reference, payment.Id), scope.Complete(response)],
                cancellationToken) is null)
        {
            throw ApiException.Conflict($"transaction_reference {reference} is already used by another payment.");
        }
        return response;
    }

    /// <summary>Changes the amount or description of the occurrences not yet booked.</summary>
    public Task<CollectionPayment> UpdatePaymentAsync(Organisation organisation, string id, FormSection form,
        CancellationToken cancellationToken)
    {
        var amount = form.Has("amount") ? Money.Parse(form, "amount") : (long?)null;
        var description = form.Has("description") ? form.Text("description", 255) : null;
        return ChangeAsync<CollectionPayment>(organisation, id, CollectionsIds.Payment, p => p.Status != CollectionStates.Active
                ? throw ApiException.Conflict($"Payment {id} is {p.Status}.")
                : p with
                {
                    Updated = organisation.Now(time), AmountMinor = amount ?? p.AmountMinor,
                    Description = form.Has("description") ? description : p.Description,
                },
            p => CollectionsStore.Row(organisation.Id, p), cancellationToken);
    }

    public Task<CollectionPayment> CancelPaymentAsync(Organisation organisation, string id, CancellationToken cancellationToken) =>
        ChangeAsync<CollectionPayment>(organisation, id, CollectionsIds.Payment, p => p.Status != CollectionStates.Active
                ? throw ApiException.Conflict($"Payment {id} is {p.Status}.")
                : p with { Updated = organisation.Now(time), Status = CollectionStates.Cancelled },
            p => CollectionsStore.Row(organisation.Id, p), cancellationToken);

    public async Task<T> GetAsync<T>(Organisation organisation, string id, string prefix, CancellationToken cancellationToken) =>
        await FindAsync<T>(organisation.Id, id, prefix, cancellationToken) is { } found ? found.Value : throw NotFound(prefix, id);

    public DateOnly Today(Organisation organisation) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(organisation.Now(time), ApiTime.Zone(organisation.TimeZone)).DateTime);

    public DebitOrderCalendar Calendar => calendar;

    public static DateOnly ReadDate(FormSection form, string field)
    {
        var text = form.Text(field, 10) ?? throw Missing(form, field);
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw ApiException.BadRequest(form.FieldName(field), "must be a date as YYYY-MM-DD, e.g. 2025-01-31.");
    }

    /// <summary>A reference in the documents' style: four letters of the merchant's name, then eight digits.</summary>
    public static string Reference(string name)
    {
        var letters = new string([.. name.ToUpperInvariant().Where(char.IsAsciiLetterUpper).Take(4)]).PadRight(4, 'X');
        return letters + RandomNumberGenerator.GetInt32(0, 100_000_000).ToString("D8", CultureInfo.InvariantCulture);
    }

    private async Task<Stored<T>?> FindAsync<T>(long organisationId, string id, string prefix, CancellationToken cancellationToken) =>
        CollectionsIds.IsValid(id, prefix) ? await store.GetAsync<T>(organisationId, id, cancellationToken) : null;

    private async Task<Stored<T>> RequireAsync<T>(Organisation organisation, FormSection form, string field, string prefix,
        CancellationToken cancellationToken)
    {
        var id = form.Text(field, 64) ?? throw Missing(form, field);
        return await FindAsync<T>(organisation.Id, id, prefix, cancellationToken)
            ?? throw ApiException.BadRequest(form.FieldName(field), $"names no {What(prefix)} of this organisation.");
    }

    /// <summary>An ETag-checked read-modify-write, retried from the read when another change got in first.</summary>
    private async Task<T> ChangeAsync<T>(Organisation organisation, string id, string prefix, Func<T, T> change,
        Func<T, TableEntity> row, CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = await FindAsync<T>(organisation.Id, id, prefix, cancellationToken) ?? throw NotFound(prefix, id);
            var after = change(current.Value);
            if (await store.SubmitAsync([TableActions.Replace(row(after), current.ETag)], cancellationToken) is not null) return after;
        }
    }

    /// <summary>
    /// A new row with the answer kept for an Idempotency-Key's retries, together. Its id is fresh and random, so a
    /// refusal can only be the hold taken over (the request took too long) or this very write landing with its
    /// answer lost (the SDK retried): the retry then answers from the record, or runs again.
    /// </summary>
    private async Task<StoredResponse> InsertAsync(TableEntity row, IdempotencyScope scope, StoredResponse response,
        CancellationToken cancellationToken)
    {
        if (await store.SubmitAsync([TableActions.Insert(row), scope.Complete(response)], cancellationToken) is null)
        {
            throw ApiException.Conflict("This request's Idempotency-Key was taken over by a retry; see the retry's answer.");
        }
        return response;
    }

    private static void RequireTestMode(Organisation organisation)
    {
        if (organisation.Mode != OrganisationModes.Test)
        {
            throw ApiException.Conflict("Live debit orders need a bank integration, and none is configured; use a test organisation.");
        }
    }

    public static ApiException NotFound(string prefix, string id) =>
        ApiException.NotFound($"No {What(prefix)} {(id.Length > 64 ? id[..64] : id)} in this organisation.");

    private static string What(string prefix) => prefix switch
    {
        CollectionsIds.Customer => "customer",
        CollectionsIds.BankAccount => "bank account",
        CollectionsIds.Mandate => "mandate",
        CollectionsIds.Payment => "payment",
        _ => "transaction",
    };

    private static ApiException Missing(FormSection form, string field) => ApiException.BadRequest(form.FieldName(field), "is required.");

    private static string Required(FormSection form, string field, int max) => form.Text(field, max) ?? throw Missing(form, field);

    private static string? Email(FormSection form)
    {
        var email = form.Text("email", 254);
        if (email is not null && (!MailAddress.TryCreate(email, out var address) || address.Address != email || !email.Contains('.')))
        {
            throw ApiException.BadRequest(form.FieldName("email"), "must be a valid email address.");
        }
        return email;
    }

    private static string? Mobile(FormSection form)
    {
        var mobile = form.TextOrNumber("mobile", 20);
        if (mobile is not null && !System.Text.RegularExpressions.Regex.IsMatch(mobile, @"^\+?[0-9]{9,15}$"))
        {
            throw ApiException.BadRequest(form.FieldName("mobile"), "must be a phone number of 9 to 15 digits, e.g. 0821234567.");
        }
        return mobile;
    }
}
