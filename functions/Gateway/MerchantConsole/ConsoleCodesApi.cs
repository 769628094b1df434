using Gateway.Api;
using Gateway.Codes;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// Payable codes (document 004) in the console, for the users the API lets manage them: a new code with its QR,
/// and block, unblock and delete, through the same service and validation as <c>/api/code</c>.
/// </summary>
[Tags("Console")]
public sealed class ConsoleCodesApi(CodeService codes, CodeStore store, ConsoleRun run, TimeProvider time)
{
    /// <summary>Codes listed at most.</summary>
    public const int PageSize = 100;

    [Function(nameof(ConsoleCodes)), AllowAnonymous]
    [EndpointSummary("The organisation's payable codes with their QR codes, and a form for a new one.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleCodes(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/codes")] HttpRequest request) =>
        run.PageAsync(request, "codes", async user =>
        {
            NotOperator(user);
            var list = await store.ListAsync(user.Organisation.Id, PageSize, request.HttpContext.RequestAborted);
            var done = Paging.Query(request, "done") switch
            {
                { Length: 10 } created when created.All(char.IsAsciiDigit) => $"Code {created} is created.",
                "blocked" => "Blocked: nobody can pay it until it is unblocked.",
                "unblocked" => "Unblocked: it can be paid again.",
                "deleted" => "Deleted: it can no longer be paid.",
                _ => null,
            };
            return new ConsolePage("Codes", Body(user, list, done))
            {
                User = user, Section = "codes",
            };
        });

    [Function(nameof(ConsoleCodeCreate)), AllowAnonymous]
    [EndpointSummary("Create a payable code (amount, merchantReference, shortDescription, useOnce).")]
    [ProducesResponseType(303), PageErrors(400, 403, 409, CodeFields.ValidationError)]
    public Task<IResult> ConsoleCodeCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/codes")] HttpRequest request) =>
        run.FormAsync(request, "codes", async (user, form) =>
        {
            NotOperator(user);
            var o = user.Organisation;
            var code = await codes.CreateAsync(new Caller(user.User, o, user.User.Role), o,
                CodeFields.ReadCreate(form, o.Now(time), o.BasketLimits), CancellationToken.None);
            return new PageRedirect($"/console/codes?done={code.Code}");
        });

    [Function(nameof(ConsoleCodeChange)), AllowAnonymous]
    [EndpointSummary("Block, unblock or delete a code (action=block|unblock|delete).")]
    [ProducesResponseType(303), PageErrors(400, 403, 409, CodeService.NotFoundStatus, CodeService.NotACodeStatus,
        CodeService.OtherMerchantStatus)]
    public Task<IResult> ConsoleCodeChange(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/codes/{code}")] HttpRequest request, string code) =>
        run.FormAsync(request, "codes", async (user, form) =>
        {
            NotOperator(user);
            var org = user.Organisation.Id;
            string done;
            switch (form.Text("action", 8))
            {
                case "block":
                    await codes.BlockAsync(org, code, blocked: true, CancellationToken.None);
                    done = "blocked";
                    break;
                case "unblock":
                    await codes.BlockAsync(org, code, blocked: false, CancellationToken.None);
                    done = "unblocked";
                    break;
                case "delete":
                    await codes.DeleteAsync(org, code, CancellationToken.None);
                    done = "deleted";
                    break;
                default:
                    throw ApiException.BadRequest("action: must be block, unblock or delete.");
            }
            return new PageRedirect($"/console/codes?done={done}");
        });

    /// <summary>As in the API, codes are the organisation's own users' business, not the platform operators'.</summary>
    private static void NotOperator(ConsoleUser user)
    {
        if (user.IsOperator) throw ApiException.Forbidden("Codes are managed by the organisation's own users.");
    }

    private static Markup Body(ConsoleUser user, List<PayableCode> list, string? done)
    {
        var zone = ApiTime.Zone(user.Organisation.TimeZone);
        Markup Action(PayableCode c, string action, string label, string style = "") => Html.Of($"""
            <form method="post" action="/console/codes/{c.Code}">{user.CsrfField}{Html.Hidden("action", action)}<button type="submit" class="{style}" aria-label="{label} code {c.Code}">{label}</button></form>
            """);
        var rows = Html.Join(list.Select(c => Html.Of($"""
            <tr><td><img src="/api/code/{c.Code}/qr.svg" width="96" height="96" alt="QR code of {c.Code}"></td><td>{c.Code}</td><td>{c.MerchantReference}</td><td>{c.ShortDescription}</td>
            <td class="num">{(c.IsVariable ? "any" : Money.Display(c.AmountMinor, c.Currency))}</td><td>{(c.UseOnce ? "once" : "reusable")}</td><td>{c.State}</td>
            <td>{(c.Expires is { } e ? ApiTime.Show(e, zone) : "–")}</td>
            <td><div class="actions">{(c.State == CodeStates.Blocked ? Action(c, "unblock", "Unblock") : Action(c, "block", "Block"))}{Action(c, "delete", "Delete", "danger")}</div></td></tr>
            """)));
        return Html.Of($"""
            <h1>Payable codes</h1>
            {ConsolePage.Notice(done)}
            {(list.Count == 0 ? Html.Of($"<p class=\"note\">No codes yet.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">QR</th><th scope="col">Code</th><th scope="col">Reference</th><th scope="col">Description</th><th scope="col" class="num">Amount</th><th scope="col">Use</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col">Action</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """))}
            <h2>New code</h2>
            <form method="post" action="/console/codes">
            {user.CsrfField}
            <label for="code-amount">Amount (0 lets the payer choose)</label><input type="text" id="code-amount" name="amount" inputmode="decimal" required>
            <label for="code-reference">Reference</label><input type="text" id="code-reference" name="merchantReference" required>
            <label for="code-description">Description (shown to the payer)</label><input type="text" id="code-description" name="shortDescription" required>
            <label class="check"><input type="checkbox" name="useOnce" value="false"> Reusable (many payers may pay it)</label>
            <div class="actions"><button type="submit" class="primary">Create the code</button></div>
            </form>
            """);
    }
}
