using System.Globalization;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Collections;

public sealed record CustomerResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("customer")] CustomerView Customer);

public sealed record CustomersResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("customers")] IReadOnlyList<CustomerView> Customers);

public sealed record BankAccountResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("bank_account")] BankAccountView BankAccount);

public sealed record BankAccountsResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("bank_accounts")] IReadOnlyList<BankAccountView> BankAccounts);

public sealed record MandateResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("mandate")] MandateView Mandate);

public sealed record MandatesResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("mandates")] IReadOnlyList<MandateView> Mandates);

public sealed record PaymentResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("payment")] PaymentView Payment);

public sealed record PaymentsResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("payments")] IReadOnlyList<PaymentView> Payments);

public sealed record TransactionResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("transaction")] TransactionView Transaction);

public sealed record TransactionsResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("transactions")] IReadOnlyList<TransactionView> Transactions);

public sealed record PaymentMethodsResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("payment_methods")] IReadOnlyList<PaymentMethod> PaymentMethods);

public sealed record LookupsResponse([property: JsonPropertyName("status")] bool Status,
    [property: JsonPropertyName("lookups")] IReadOnlyList<StatusLookup> Lookups);

/// <summary>The request bodies, for the OpenAPI description (JSON or form fields of the same names).</summary>
public sealed record CustomerForm(
    [property: JsonPropertyName("first_name")] string FirstName, [property: JsonPropertyName("last_name")] string LastName,
    [property: JsonPropertyName("email")] string? Email, [property: JsonPropertyName("mobile")] string? Mobile);

public sealed record BankAccountForm(
    [property: JsonPropertyName("customers_id")] string CustomersId, [property: JsonPropertyName("bank")] string Bank,
    [property: JsonPropertyName("branch_code")] string BranchCode, [property: JsonPropertyName("account_number")] string AccountNumber,
    [property: JsonPropertyName("account_type")] string AccountType,
    [property: JsonPropertyName("account_holder")] string AccountHolder);

public sealed record MandateForm(
    [property: JsonPropertyName("customers_id")] string CustomersId,
    [property: JsonPropertyName("bank_accounts_id")] string BankAccountsId,
    [property: JsonPropertyName("payment_methods_id")] string PaymentMethodsId);

public sealed record PaymentForm(
    [property: JsonPropertyName("mandates_id")] string MandatesId, [property: JsonPropertyName("amount")] decimal Amount,
    [property: JsonPropertyName("frequency")] string Frequency, [property: JsonPropertyName("action_date")] string ActionDate,
    [property: JsonPropertyName("transaction_reference")] string TransactionReference,
    [property: JsonPropertyName("description")] string? Description);

public sealed record PaymentUpdateForm(
    [property: JsonPropertyName("amount")] decimal? Amount, [property: JsonPropertyName("description")] string? Description);

/// <summary>
/// Collections (document 002) under <c>/api/collections</c>, for the organisation's administrators and API keys:
/// the set-up resources, and the documented transaction list, record and webhooks. Lists are oldest first, at most
/// <c>limit</c> (default 500) per page, with the next page's token in <c>X-Next-Page-Token</c> and <c>Link</c>.
/// </summary>
[Tags("Collections")]
public sealed class CollectionsApi(CollectionsService service, CollectionsStore store, Idempotency idempotency)
{
    private const string Base = "api/collections";

    [Function(nameof(CollectionsCustomerCreate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Create a customer (the debtor).")]
    [AcceptsForm(typeof(CustomerForm)), AcceptsIdempotencyKey, ProducesResponseType<CustomerResponse>(201)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<IResult> CollectionsCustomerCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/customers")] HttpRequest request) =>
        CreateAsync(request, (organisation, form, scope) => service.CreateCustomerAsync(organisation, form, scope,
            c => StoredResponse.Created(new CustomerResponse(true, CollectionsViews.View(c, Zone(organisation)))), CancellationToken.None));

    [Function(nameof(CollectionsCustomerList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The organisation's customers, oldest first.")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<CustomersResponse>> CollectionsCustomerList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/customers")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        return TypedResults.Ok(new CustomersResponse(true, await PageAsync<Customer, CustomerView>(request, CollectionsIds.Customer,
            null, c => CollectionsViews.View(c, Zone(organisation)), c => c.Id, cancellationToken)));
    }

    [Function(nameof(CollectionsCustomerView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("One customer.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<CustomerResponse>> CollectionsCustomerView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/customers/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var c = await service.GetAsync<Customer>(organisation, id, CollectionsIds.Customer, cancellationToken);
        return TypedResults.Ok(new CustomerResponse(true, CollectionsViews.View(c, Zone(organisation))));
    }

    [Function(nameof(CollectionsCustomerUpdate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Change a customer's names, email or mobile (the fields sent).")]
    [AcceptsForm(typeof(CustomerForm)), ApiErrors(400, 401, 403, 404, 413, 415)]
    public async Task<Ok<CustomerResponse>> CollectionsCustomerUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = Base + "/customers/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var (organisation, form) = await ReadAsync(request);
        var c = await service.UpdateCustomerAsync(organisation, id, form, CancellationToken.None);
        return TypedResults.Ok(new CustomerResponse(true, CollectionsViews.View(c, Zone(organisation))));
    }

    [Function(nameof(CollectionsBankAccountCreate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Add a customer's bank account; its number is shown masked from then on.")]
    [AcceptsForm(typeof(BankAccountForm)), AcceptsIdempotencyKey, ProducesResponseType<BankAccountResponse>(201)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<IResult> CollectionsBankAccountCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/bank-accounts")] HttpRequest request) =>
        CreateAsync(request, (organisation, form, scope) => service.CreateBankAccountAsync(organisation, form, scope,
            b => StoredResponse.Created(new BankAccountResponse(true, CollectionsViews.View(b, Zone(organisation)))),
            CancellationToken.None));

    [Function(nameof(CollectionsBankAccountList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The organisation's bank accounts (optionally one customer's: customers_id), oldest first.")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<BankAccountsResponse>> CollectionsBankAccountList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/bank-accounts")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var customer = IdQuery(request, "customers_id", CollectionsIds.Customer);
        return TypedResults.Ok(new BankAccountsResponse(true, await PageAsync<BankAccount, BankAccountView>(request,
            CollectionsIds.BankAccount, null, b => CollectionsViews.View(b, Zone(organisation)), b => b.Id, cancellationToken,
            customer is null ? null : b => b.CustomerId == customer)));
    }

    [Function(nameof(CollectionsBankAccountView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("One bank account (its number masked).")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<BankAccountResponse>> CollectionsBankAccountView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/bank-accounts/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var b = await service.GetAsync<BankAccount>(organisation, id, CollectionsIds.BankAccount, cancellationToken);
        return TypedResults.Ok(new BankAccountResponse(true, CollectionsViews.View(b, Zone(organisation))));
    }

    [Function(nameof(CollectionsBankAccountCancel)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Cancel a bank account no active or pending mandate uses.")]
    [ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<BankAccountResponse>> CollectionsBankAccountCancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/bank-accounts/{id}/cancel")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var b = await service.CancelBankAccountAsync(organisation, id, CancellationToken.None);
        return TypedResults.Ok(new BankAccountResponse(true, CollectionsViews.View(b, Zone(organisation))));
    }

    [Function(nameof(CollectionsPaymentMethods)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The payment methods (pam_): EFT debit order and DebiCheck.")]
    [ApiErrors(401, 403)]
    public Ok<PaymentMethodsResponse> CollectionsPaymentMethods(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/payment-methods")] HttpRequest request) =>
        TypedResults.Ok(new PaymentMethodsResponse(true, CollectionsCatalogue.PaymentMethods));

    [Function(nameof(CollectionsLookups)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The status lookups (loo_) a transaction's transaction_status_lookups_id points at.")]
    [ApiErrors(401, 403)]
    public Ok<LookupsResponse> CollectionsLookups(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/lookups")] HttpRequest request) =>
        TypedResults.Ok(new LookupsResponse(true, CollectionsCatalogue.Lookups));

    [Function(nameof(CollectionsMandateCreate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Create a mandate: active at once for an EFT debit order, pending the debtor's approval for DebiCheck.")]
    [AcceptsForm(typeof(MandateForm)), AcceptsIdempotencyKey, ProducesResponseType<MandateResponse>(201)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<IResult> CollectionsMandateCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/mandates")] HttpRequest request) =>
        CreateAsync(request, (organisation, form, scope) => service.CreateMandateAsync(organisation, form, scope,
            m => StoredResponse.Created(new MandateResponse(true, CollectionsViews.View(m, Zone(organisation)))), CancellationToken.None));

    [Function(nameof(CollectionsMandateList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The organisation's mandates (optionally one customer's: customers_id), oldest first.")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<MandatesResponse>> CollectionsMandateList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/mandates")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var customer = IdQuery(request, "customers_id", CollectionsIds.Customer);
        return TypedResults.Ok(new MandatesResponse(true, await PageAsync<Mandate, MandateView>(request, CollectionsIds.Mandate, null,
            m => CollectionsViews.View(m, Zone(organisation)), m => m.Id, cancellationToken,
            customer is null ? null : m => m.CustomerId == customer)));
    }

    [Function(nameof(CollectionsMandateView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("One mandate.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<MandateResponse>> CollectionsMandateView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/mandates/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var m = await service.GetAsync<Mandate>(organisation, id, CollectionsIds.Mandate, cancellationToken);
        return TypedResults.Ok(new MandateResponse(true, CollectionsViews.View(m, Zone(organisation))));
    }

    [Function(nameof(CollectionsMandateCancel)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Cancel a mandate; its payments stop at their next action date.")]
    [ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<MandateResponse>> CollectionsMandateCancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/mandates/{id}/cancel")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var m = await service.CancelMandateAsync(organisation, id, CancellationToken.None);
        return TypedResults.Ok(new MandateResponse(true, CollectionsViews.View(m, Zone(organisation))));
    }

    [Function(nameof(CollectionsPaymentCreate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Create a payment: an amount debited once, weekly or monthly from the action date.")]
    [AcceptsForm(typeof(PaymentForm)), AcceptsIdempotencyKey, ProducesResponseType<PaymentResponse>(201)]
    [ApiErrors(400, 401, 403, 409, 413, 415, 422)]
    public Task<IResult> CollectionsPaymentCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/payments")] HttpRequest request) =>
        CreateAsync(request, (organisation, form, scope) => service.CreatePaymentAsync(organisation, form, scope,
            p => StoredResponse.Created(new PaymentResponse(true, View(p, organisation))), CancellationToken.None));

    [Function(nameof(CollectionsPaymentList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The organisation's payments (optionally one mandate's: mandates_id), oldest first.")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<PaymentsResponse>> CollectionsPaymentList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/payments")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var mandate = IdQuery(request, "mandates_id", CollectionsIds.Mandate);
        return TypedResults.Ok(new PaymentsResponse(true, await PageAsync<CollectionPayment, PaymentView>(request,
            CollectionsIds.Payment, mandate is null ? null : TableClient.CreateQueryFilter($"Parent eq {mandate}"),
            p => View(p, organisation), p => p.Id, cancellationToken)));
    }

    [Function(nameof(CollectionsPaymentView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("One payment, with its next action date.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<PaymentResponse>> CollectionsPaymentView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/payments/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var p = await service.GetAsync<CollectionPayment>(organisation, id, CollectionsIds.Payment, cancellationToken);
        return TypedResults.Ok(new PaymentResponse(true, View(p, organisation)));
    }

    [Function(nameof(CollectionsPaymentUpdate)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Change an active payment's amount or description, for the debits not yet booked.")]
    [AcceptsForm(typeof(PaymentUpdateForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<PaymentResponse>> CollectionsPaymentUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = Base + "/payments/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var (organisation, form) = await ReadAsync(request);
        var p = await service.UpdatePaymentAsync(organisation, id, form, CancellationToken.None);
        return TypedResults.Ok(new PaymentResponse(true, View(p, organisation)));
    }

    [Function(nameof(CollectionsPaymentCancel)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Cancel an active payment: no further debits are booked (those booked go ahead).")]
    [ApiErrors(401, 403, 404, 409)]
    public async Task<Ok<PaymentResponse>> CollectionsPaymentCancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Base + "/payments/{id}/cancel")] HttpRequest request,
        string id, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var p = await service.CancelPaymentAsync(organisation, id, CancellationToken.None);
        return TypedResults.Ok(new PaymentResponse(true, View(p, organisation)));
    }

    [Function(nameof(CollectionsTransactionList)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("Transactions, filtered by status lookup, charge date, status-change date and payment method.")]
    [ApiErrors(400, 401, 403)]
    public async Task<Ok<TransactionsResponse>> CollectionsTransactionList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/transactions")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var zone = Zone(organisation);
        return TypedResults.Ok(new TransactionsResponse(true, await PageAsync<DebitTransaction, TransactionView>(request,
            CollectionsIds.Transaction, TransactionFilter(request, zone), t => CollectionsViews.View(t, zone), t => t.Id,
            cancellationToken)));
    }

    [Function(nameof(CollectionsTransactionRecord)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("The latest transaction of a transaction reference.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<TransactionResponse>> CollectionsTransactionRecord(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/transactions/record/{reference}")] HttpRequest request,
        string reference, CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var t = await store.FindByReferenceAsync(organisation.Id, reference, cancellationToken)
            ?? throw ApiException.NotFound("No transaction with this transaction_reference in this organisation.");
        return TypedResults.Ok(new TransactionResponse(true, CollectionsViews.View(t.Value, Zone(organisation))));
    }

    [Function(nameof(CollectionsTransactionView)), Authorize(Policy = Policies.PaymentAdministrator)]
    [EndpointSummary("One transaction, by its id.")]
    [ApiErrors(401, 403, 404)]
    public async Task<Ok<TransactionResponse>> CollectionsTransactionView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Base + "/transactions/{id}")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        var organisation = request.Caller().RequireOrganisation();
        var t = await service.GetAsync<DebitTransaction>(organisation, id, CollectionsIds.Transaction, cancellationToken);
        return TypedResults.Ok(new TransactionResponse(true, CollectionsViews.View(t, Zone(organisation))));
    }

    private PaymentView View(CollectionPayment p, Organisation organisation) =>
        CollectionsViews.View(p, Zone(organisation), service.Calendar);

    private static TimeZoneInfo Zone(Organisation organisation) => ApiTime.Zone(organisation.TimeZone);

    /// <summary>
    /// A create, honouring <c>Idempotency-Key</c> as the payment requests do: a retry with the same body answers the
    /// first answer, another body is 422. Creates run to their end once started, even if the client goes.
    /// </summary>
    private async Task<IResult> CreateAsync(HttpRequest request,
        Func<Organisation, FormSection, IdempotencyScope, Task<StoredResponse>> create)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form,
            scope => create(organisation, form.Root, scope), CancellationToken.None);
    }

    private static async Task<(Organisation, FormSection)> ReadAsync(HttpRequest request)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        return (request.Caller().RequireOrganisation(), form);
    }

    /// <summary>The document's filters, as a table filter: dates are the organisation's days, bounds inclusive.</summary>
    private static string? TransactionFilter(HttpRequest request, TimeZoneInfo zone)
    {
        var filters = new List<string>();
        if (Paging.Query(request, "transaction_status_lookups_id") is { } status)
        {
            filters.Add(CollectionsCatalogue.IsLookup(status)
                ? TableClient.CreateQueryFilter($"State eq {status}")
                : throw ApiException.BadRequest("transaction_status_lookups_id", "is not a lookup of GET /api/collections/lookups."));
        }
        if (Paging.Query(request, "payment_methods_id") is { } method)
        {
            filters.Add(CollectionsCatalogue.IsPaymentMethod(method)
                ? TableClient.CreateQueryFilter($"PaymentMethod eq {method}")
                : throw ApiException.BadRequest("payment_methods_id", "is not a payment method of GET /api/collections/payment-methods."));
        }
        if (QueryDate(request, "charged_at_start_date") is { } chargedFrom)
        {
            filters.Add(TableClient.CreateQueryFilter($"ChargedOn ge {CollectionsStore.Day(chargedFrom)}"));
        }
        if (QueryDate(request, "charged_end_date") is { } chargedTo)
        {
            filters.Add(TableClient.CreateQueryFilter($"ChargedOn le {CollectionsStore.Day(chargedTo)}"));
        }
        if (QueryDate(request, "status_changed_at_start_date") is { } changedFrom)
        {
            filters.Add(TableClient.CreateQueryFilter($"StatusChangedAt ge {Start(changedFrom, zone)}"));
        }
        if (QueryDate(request, "status_changed_at_end_date") is { } changedTo)
        {
            filters.Add(TableClient.CreateQueryFilter($"StatusChangedAt lt {Start(changedTo.AddDays(1), zone)}"));
        }
        return filters.Count == 0 ? null : filters.Aggregate(TableFilters.And);
    }

    private static DateOnly? QueryDate(HttpRequest request, string name) => Paging.Query(request, name) is { } text
        ? DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw ApiException.BadRequest(name, "must be a date as YYYY-MM-DD, e.g. 2024-06-14.")
        : null;

    private static DateTimeOffset Start(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    private static string? IdQuery(HttpRequest request, string name, string prefix) => Paging.Query(request, name) is { } id
        ? CollectionsIds.IsValid(id, prefix) ? id : throw ApiException.BadRequest(name, $"is not an id starting {prefix}.")
        : null;

    /// <summary>
    /// One page of a list: <c>limit</c> (1 to 1000, default 500) items after <c>page_token</c> (the last id of the
    /// previous page), with the next page's token in <c>X-Next-Page-Token</c> and <c>Link</c> when more remain.
    /// </summary>
    private async Task<List<TView>> PageAsync<T, TView>(HttpRequest request, string prefix, string? filter, Func<T, TView> view,
        Func<T, string> id, CancellationToken cancellationToken, Func<T, bool>? where = null)
    {
        var limit = Paging.ReadLimit(request);
        var after = Paging.Query(request, "page_token") is { } token
            ? CollectionsIds.IsValid(token, prefix) ? token : throw ApiException.BadRequest("page_token", "is not a token from a previous page.")
            : null;
        var organisation = request.Caller().RequireOrganisation();
        var items = new List<T>();
        await foreach (var row in store.ListAsync<T>(organisation.Id, prefix, after, filter, cancellationToken))
        {
            if (where is not null && !where(row.Value)) continue;
            if (items.Count == limit)
            {
                Paging.LinkNext(request.HttpContext, id(items[^1]));
                break;
            }
            items.Add(row.Value);
        }
        return [.. items.Select(view)];
    }
}
