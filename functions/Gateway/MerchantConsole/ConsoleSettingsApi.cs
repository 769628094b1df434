using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Webhooks;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// The administrators' pages: webhooks (URLs, signing secret, failed events and their redelivery), credentials (API
/// keys, the key shown once; the cashier's signature password) and settings (time zone, 3-D Secure, test clock).
/// Changes go through the same services, and so the same validation and request-forgery guard, as the API.
/// </summary>
[Tags("Console")]
public sealed class ConsoleSettingsApi(OrganisationService organisations, OrganisationClock clock, ApiKeyService keys,
    PaymentStore payments, PaymentEvents events, ConsoleRun run, TimeProvider time)
{
    [Function(nameof(ConsoleWebhooks)), AllowAnonymous]
    [EndpointSummary("Webhook URLs, the signing secret and the failed events (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleWebhooks(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/webhooks")] HttpRequest request) =>
        run.PageAsync(request, "webhooks", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var failed = await payments.FailedEventsAsync(user.Organisation, request.HttpContext.RequestAborted);
            return WebhooksPage(user, user.Organisation, failed, Done(request));
        });

    [Function(nameof(ConsoleWebhooksUpdate)), AllowAnonymous]
    [EndpointSummary("Change the webhook URLs, or rotate the signing secret (administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403)]
    public Task<IResult> ConsoleWebhooksUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/webhooks")] HttpRequest request) =>
        run.FormAsync(request, "webhooks", async (user, form) =>
        {
            ConsoleRun.RequireViewer(user);
            await organisations.UpdateAsync(user.Organisation.Id, OrganisationFields.Read(form.Section("Organisation")),
                mayChangeMode: false, CancellationToken.None);
            return new PageRedirect("/console/webhooks?done=saved");
        });

    [Function(nameof(ConsoleWebhookRedeliver)), AllowAnonymous]
    [EndpointSummary("Deliver a failed event again to its usual URL (administrators).")]
    [ProducesResponseType(303), PageErrors(403, 404)]
    public Task<IResult> ConsoleWebhookRedeliver(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/webhooks/{eventId}/redeliver")] HttpRequest request,
        string eventId) =>
        run.FormAsync(request, "webhooks", async (user, _) =>
        {
            ConsoleRun.RequireAdministrator(user);
            var e = await payments.FindEventAsync(user.Organisation, eventId, CancellationToken.None)
                ?? throw ApiException.NotFound("No such webhook event.");
            var message = WebhookMessage.For(e) with { Chain = WebhookMessage.ManualChain(time.GetUtcNow()) };
            await events.Queue.SendMessageAsync(message.ToJson(), CancellationToken.None);
            return new PageRedirect("/console/webhooks?done=redelivered");
        });

    [Function(nameof(ConsoleCredentials)), AllowAnonymous]
    [EndpointSummary("API keys and the cashier's signature password (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleCredentials(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/credentials")] HttpRequest request) =>
        run.PageAsync(request, "credentials", async user =>
        {
            ConsoleRun.RequireViewer(user);
            return CredentialsPage(user, await keys.ListAsync(user.Organisation.Id, request.HttpContext.RequestAborted), null,
                Done(request));
        });

    /// <summary>Answers with the page itself (no redirect): the new key is shown this once, never stored in clear.</summary>
    [Function(nameof(ConsoleApiKeyCreate)), AllowAnonymous]
    [EndpointSummary("Create an API key; the page shows it once (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), PageErrors(400, 403)]
    public Task<IResult> ConsoleApiKeyCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/credentials/api-keys")] HttpRequest request) =>
        run.FormAsync(request, "credentials", async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            var mode = form.Text("mode", 8) ?? OrganisationModes.Test;
            if (!OrganisationModes.IsValid(mode)) throw ApiException.BadRequest("mode: must be test or live.");
            var (_, secret) = await keys.CreateAsync(user.Organisation, mode, form.Text("name", 100), CancellationToken.None);
            return CredentialsPage(user, await keys.ListAsync(user.Organisation.Id, CancellationToken.None), secret, null);
        });

    [Function(nameof(ConsoleApiKeyRevoke)), AllowAnonymous]
    [EndpointSummary("Revoke an API key; it stops working at once (administrators).")]
    [ProducesResponseType(303), PageErrors(403, 404)]
    public Task<IResult> ConsoleApiKeyRevoke(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/credentials/api-keys/{keyId}/revoke")]
        HttpRequest request, string keyId) =>
        run.FormAsync(request, "credentials", async (user, _) =>
        {
            ConsoleRun.RequireAdministrator(user);
            if (!await keys.RevokeAsync(user.Organisation.Id, keyId, CancellationToken.None)) throw ApiException.NotFound("No such API key.");
            return new PageRedirect("/console/credentials?done=revoked");
        });

    [Function(nameof(ConsoleSettings)), AllowAnonymous]
    [EndpointSummary("The organisation's time zone, 3-D Secure policy and test clock (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleSettings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/settings")] HttpRequest request) =>
        run.PageAsync(request, "settings", user =>
        {
            ConsoleRun.RequireViewer(user);
            return Task.FromResult<IResult>(SettingsPage(user, Done(request)));
        });

    [Function(nameof(ConsoleSettingsUpdate)), AllowAnonymous]
    [EndpointSummary("Change the time zone or 3-D Secure policy, or set or clear the test clock (administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 409)]
    public Task<IResult> ConsoleSettingsUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/settings")] HttpRequest request) =>
        run.FormAsync(request, "settings", async (user, form) =>
        {
            ConsoleRun.RequireViewer(user);
            var clockForm = form.Section("clock");
            if (form.Text("action", 16) == "clock")
            {
                var zone = ApiTime.Zone(user.Organisation.TimeZone);
                var now = clockForm.Text(OrganisationClock.NowField, 32) is null ? (DateTimeOffset?)null : OrganisationClock.ReadNow(clockForm, zone);
                await clock.SetAsync(user.Organisation.Id, _ => now, CancellationToken.None);
            }
            else
            {
                await organisations.UpdateAsync(user.Organisation.Id, OrganisationFields.Read(form.Section("Organisation")),
                    mayChangeMode: false, CancellationToken.None);
            }
            return new PageRedirect("/console/settings?done=saved");
        });

    private static string? Done(HttpRequest request) => Paging.Query(request, "done") switch
    {
        "saved" => "Saved.",
        "redelivered" => "The event is queued for delivery again.",
        "revoked" => "The key is revoked; it no longer works.",
        _ => null,
    };

    private static Markup Text(string field, string label, string? value) => Html.Of($"""
        <label for="{field}">{label}</label><input type="text" id="{field}" name="Organisation[{field}]" value="{value}">
        """);

    private static ConsolePage WebhooksPage(ConsoleUser user, Organisation o, List<OutboxEvent> failed, string? done)
    {
        var zone = ApiTime.Zone(o.TimeZone);
        var h = o.Webhooks;
        var rows = Html.Join(failed.Select(e => Html.Of($"""
            <tr><td>{ApiTime.Show(e.Created, zone)}</td><td><a href="/console/transactions/{e.TransactionId}">{e.TransactionId}</a></td><td>{e.Kind}</td><td>{e.Status}</td>
            <td><form method="post" action="/console/webhooks/{e.EventId}/redeliver">{user.CsrfField}<button type="submit">Deliver again</button></form></td></tr>
            """)));
        return new ConsolePage("Webhooks", Html.Of($"""
            <h1>Webhooks</h1>
            {ConsolePage.Notice(done)}
            <form method="post" action="/console/webhooks">
            {user.CsrfField}
            {Text("webhook_success_url", "Successful payments URL", h.SuccessUrl)}
            {Text("webhook_error_url", "Failed payments URL", h.ErrorUrl)}
            {Text("webhook_refund_url", "Refunds URL", h.RefundUrl)}
            {Text("cashier_webhook_url", "Cashier URL", h.CashierUrl)}
            {Text("collections_webhook_url", "Collections URL", h.CollectionsUrl)}
            <div class="actions"><button type="submit" class="primary">Save the URLs</button></div>
            </form>
            <h2>Signing secret</h2>
            <p>Receivers check <code>X-Gateway-Signature</code> with it: <code>{h.Secret ?? "none yet (set a URL)"}</code></p>
            <form method="post" action="/console/webhooks">
            {user.CsrfField}{Html.Hidden("Organisation[webhook_secret_rotate]", "1")}
            <div class="actions"><button type="submit">Rotate the secret</button></div>
            <p class="note">The old secret keeps signing alongside the new one for a day, so receivers can switch over.</p>
            </form>
            <h2>Failed events</h2>
            {(failed.Count == 0 ? Html.Of($"<p class=\"note\">None: every event was delivered or is still being tried.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Created</th><th scope="col">Transaction</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """))}
            """)) { User = user, Section = "webhooks" };
    }

    private static ConsolePage CredentialsPage(ConsoleUser user, IReadOnlyList<ApiKey> list, string? newKey, string? done)
    {
        var zone = ApiTime.Zone(user.Organisation.TimeZone);
        var rows = Html.Join(list.Select(k => Html.Of($"""
            <tr><td>{k.Name ?? "–"}</td><td>{k.Mode}</td><td><code>{k.Prefix}…</code></td><td>{ApiTime.Show(k.Created, zone)}</td>
            <td><form method="post" action="/console/credentials/api-keys/{k.Id}/revoke">{user.CsrfField}<button type="submit" class="danger">Revoke</button></form></td></tr>
            """)));
        var shown = newKey is null ? Markup.Empty : Html.Of($"""
            <div class="done" role="status"><p>Your new API key. Copy it now: it is not shown again.</p><p><code id="new-key">{newKey}</code></p></div>
            """);
        return new ConsolePage("Credentials", Html.Of($"""
            <h1>Credentials</h1>
            {ConsolePage.Notice(done)}{shown}
            <h2>API keys</h2>
            {(list.Count == 0 ? Html.Of($"<p class=\"note\">No keys yet.</p>") : Html.Of($"""
                <div class="table" tabindex="0"><table><thead><tr><th scope="col">Name</th><th scope="col">Mode</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Action</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """))}
            <form method="post" action="/console/credentials/api-keys">
            {user.CsrfField}
            <label for="key-name">Name</label><input type="text" id="key-name" name="name">
            <label for="key-mode">Mode</label><select id="key-mode" name="mode"><option value="test">test</option><option value="live">live</option></select>
            <div class="actions"><button type="submit" class="primary">Create an API key</button></div>
            </form>
            <h2>Webhook signing secret</h2>
            <p>Receivers check <code>X-Gateway-Signature</code> with it: <code>{user.Organisation.Webhooks.Secret ?? "none yet (set a webhook URL)"}</code></p>
            <form method="post" action="/console/webhooks">
            {user.CsrfField}{Html.Hidden("Organisation[webhook_secret_rotate]", "1")}
            <div class="actions"><button type="submit">Rotate the signing secret</button></div>
            </form>
            <h2>Cashier signature password</h2>
            <p>The cashier's webhooks are signed with it (<code>x-signature</code>): <code>{user.Organisation.Webhooks.SignaturePassword ?? "none yet"}</code></p>
            <form method="post" action="/console/webhooks">
            {user.CsrfField}{Html.Hidden("Organisation[signature_password_rotate]", "1")}
            <div class="actions"><button type="submit">Rotate the signature password</button></div>
            </form>
            """)) { User = user, Section = "credentials" };
    }

    private ConsolePage SettingsPage(ConsoleUser user, string? done)
    {
        var o = user.Organisation;
        var zone = ApiTime.Zone(o.TimeZone);
        var modes = Html.Join(ThreeDSecureModes.All.Select(m => m == o.ThreeDSecure
            ? Html.Of($"<option value=\"{m}\" selected>{m}</option>")
            : Html.Of($"<option value=\"{m}\">{m}</option>")));
        var testClock = o.Mode != OrganisationModes.Test ? Markup.Empty : Html.Of($"""
            <h2>Test clock</h2>
            <p>Now, for this organisation: {ApiTime.Show(o.Now(time), zone)}{(o.TestClock is null ? Html.Of($" (real time)") : Html.Of($" (stopped)"))}</p>
            <form method="post" action="/console/settings">
            {user.CsrfField}{Html.Hidden("action", "clock")}
            <label for="clock-now">Set the clock to (YYYY-MM-DD HH:mm:ss; empty for real time)</label>
            <input type="text" id="clock-now" name="clock[now]" value="{(o.TestClock is { } c ? ApiTime.Show(c, zone) : null)}">
            <div class="actions"><button type="submit">Set the clock</button></div>
            </form>
            """);
        return new ConsolePage("Settings", Html.Of($"""
            <h1>Settings</h1>
            {ConsolePage.Notice(done)}
            <form method="post" action="/console/settings">
            {user.CsrfField}
            <label for="timezone">Time zone (IANA, e.g. Africa/Johannesburg)</label>
            <input type="text" id="timezone" name="Organisation[timezone]" value="{o.TimeZone}">
            <label for="three_d_secure">3-D Secure</label>
            <select id="three_d_secure" name="Organisation[three_d_secure]">{modes}</select>
            <h2>Receipts</h2>
            <p class="note">Placeholders such as {"{amount}"} and {"{reference}"} are filled in per payment; see the README.</p>
            <label for="receipt_sms_template">SMS receipt</label>
            <textarea id="receipt_sms_template" name="Organisation[receipt_sms_template]" rows="3">{o.Receipts.SmsText}</textarea>
            <label for="receipt_email_subject">E-mail receipt subject</label>
            <input type="text" id="receipt_email_subject" name="Organisation[receipt_email_subject]" value="{o.Receipts.EmailSubjectText}">
            <label for="receipt_email_template">E-mail receipt</label>
            <textarea id="receipt_email_template" name="Organisation[receipt_email_template]" rows="8">{o.Receipts.EmailBodyText}</textarea>
            <div class="actions"><button type="submit" class="primary">Save</button></div>
            </form>
            {testClock}
            """)) { User = user, Section = "settings" };
    }
}
