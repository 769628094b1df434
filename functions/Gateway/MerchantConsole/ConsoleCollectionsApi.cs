using Gateway.Api;
using Gateway.Collections;
using Gateway.HostedPages;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// Collections in the console (administrators): customers with their accounts (masked) and mandates, and the debit
/// transactions with the bank's history of each, newest first within the page.
/// </summary>
[Tags("Console")]
public sealed class ConsoleCollectionsApi(CollectionsStore store, ConsoleRun run)
{
    /// <summary>Rows per list: the page reads this many (and one more) of each kind.</summary>
    public const int PageSize = 100;

    [Function(nameof(ConsoleCollections)), AllowAnonymous]
    [EndpointSummary("Collections: customers, accounts, mandates and debit transactions with their bank history (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleCollections(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/collections")] HttpRequest request) =>
        run.PageAsync(request, "collections", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var org = user.Organisation.Id;
            var cancel = request.HttpContext.RequestAborted;
            // The four lists go together: one round trip of latency.
            var customers = TakeAsync(store.ListAsync<Customer>(org, CollectionsIds.Customer, null, null, cancel));
            var accounts = TakeAsync(store.ListAsync<BankAccount>(org, CollectionsIds.BankAccount, null, null, cancel));
            var mandates = TakeAsync(store.ListAsync<Mandate>(org, CollectionsIds.Mandate, null, null, cancel));
            var transactions = TakeAsync(store.ListAsync<DebitTransaction>(org, CollectionsIds.Transaction, null, null, cancel));
            await Task.WhenAll(customers, accounts, mandates, transactions);
            return new ConsolePage("Collections", Body(user, await customers, await accounts, await mandates, await transactions))
            {
                User = user, Section = "collections",
            };
        });

    private static async Task<List<T>> TakeAsync<T>(IAsyncEnumerable<Stored<T>> rows)
    {
        var list = new List<T>();
        await foreach (var row in rows)
        {
            if (list.Count == PageSize) break;
            list.Add(row.Value);
        }
        return list;
    }

    private static Markup Body(ConsoleUser user, List<Customer> customers, List<BankAccount> accounts, List<Mandate> mandates,
        List<DebitTransaction> transactions)
    {
        var zone = ApiTime.Zone(user.Organisation.TimeZone);
        var customerRows = Html.Join(customers.Select(c => Html.Of($"""
            <tr><td>{c.Id}</td><td>{c.FirstName} {c.LastName}</td><td>{c.Email}</td>
            <td>{Html.Join(accounts.Where(a => a.CustomerId == c.Id).Select(a => Html.Of($"<div>{a.Bank} {a.AccountMasked} ({a.Status})</div>")))}</td>
            <td>{Html.Join(mandates.Where(m => m.CustomerId == c.Id).Select(m => Html.Of($"<div>{m.Reference}: {m.PaymentMethodId} {m.Status}</div>")))}</td></tr>
            """)));
        var transactionRows = Html.Join(transactions.AsEnumerable().Reverse().Select(t => Html.Of($"""
            <tr><td>{t.Id}</td><td>{CollectionsViews.Date(t.ChargedOn)}</td><td>{t.TransactionReference}</td><td>{CollectionsCatalogue.NameOf(t.Status)}</td>
            <td class="num">R{(t.AmountMinor / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}</td>
            <td>{t.UnpaidReason}</td><td><ol>{Html.Join(t.SubmissionData.Select(e => Html.Of($"<li>{e?.ToJsonString()}</li>")))}</ol></td></tr>
            """)));
        return Html.Of($"""
            <h1>Collections</h1>
            <h2>Customers</h2>
            {(customers.Count == 0 ? Html.Of($"<p class=\"note\">No customers yet.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Accounts</th><th scope="col">Mandates</th></tr></thead>
                <tbody>{customerRows}</tbody></table></div>
                """))}
            <h2>Debit transactions</h2>
            {(transactions.Count == 0 ? Html.Of($"<p class=\"note\">No debits yet.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Id</th><th scope="col">Action date</th><th scope="col">Reference</th><th scope="col">Status</th><th scope="col" class="num">Amount</th><th scope="col">Unpaid reason</th><th scope="col">Bank history</th></tr></thead>
                <tbody>{transactionRows}</tbody></table></div>
                """))}
            <p class="note">The first {PageSize} of each; the API (/api/collections) pages through them all.</p>
            """);
    }
}
