using System.Globalization;
using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>
/// The organisation's users and licences (administrators): the list with each user's services, a new user, and a
/// service switched on or off for a user, through the same services and rules as the API (a licence must be free).
/// </summary>
[Tags("Console")]
public sealed class ConsoleUsersApi(IdentityStore store, UserService users, LicenceService licences, ConsoleRun run)
{
    [Function(nameof(ConsoleUsers)), AllowAnonymous]
    [EndpointSummary("The organisation's users and licences (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleUsers(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/users")] HttpRequest request) =>
        run.PageAsync(request, "users", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var list = await store.ListUsersAsync(user.Organisation.Id, request.HttpContext.RequestAborted);
            var done = Paging.Query(request, "done") switch
            {
                "created" => "The user is created.",
                "changed" => "Saved.",
                _ => null,
            };
            return new ConsolePage("Users", Body(user, list, done)) { User = user, Section = "users" };
        });

    [Function(nameof(ConsoleUserCreate)), AllowAnonymous]
    [EndpointSummary("Create a user (User[username], User[password], User[role]; administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 409)]
    public Task<IResult> ConsoleUserCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/users")] HttpRequest request) =>
        run.FormAsync(request, "users", async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            await users.CreateAsync(user.Organisation, UserFields.Read(form.Section("User")), CancellationToken.None);
            return new PageRedirect("/console/users?done=created");
        });

    [Function(nameof(ConsoleUserView)), AllowAnonymous]
    [EndpointSummary("A user's details, to edit (administrators).")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303), PageErrors(403, 404)]
    public Task<IResult> ConsoleUserView(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/users/{id}")] HttpRequest request, string id) =>
        run.PageAsync(request, "users", async user =>
        {
            ConsoleRun.RequireViewer(user);
            var edited = await store.GetUserAsync(user.Organisation.Id, Ids.ParseOrNotFound(id, "User"), request.HttpContext.RequestAborted)
                ?? throw UserService.UserNotFound();
            return new ConsolePage($"User {edited.Username}", EditBody(user, edited)) { User = user, Section = "users" };
        });

    [Function(nameof(ConsoleUserUpdate)), AllowAnonymous]
    [EndpointSummary("Change a user (User[name], User[lastname], User[email], User[role], User[password]; administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 404, 409)]
    public Task<IResult> ConsoleUserUpdate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/users/{id}")] HttpRequest request, string id) =>
        run.FormAsync(request, "users", async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            // The API's fields and rules, but an empty password box means "keep the password", not "clear it".
            var posted = form.Section("User");
            var fields = new System.Text.Json.Nodes.JsonObject();
            foreach (var name in new[] { "name", "lastname", "email", "role" })
            {
                if (posted.Has(name)) fields[name] = posted.Text(name, 254);
            }
            if (posted.Secret("password", UserFields.MaxPasswordLength) is { } password) fields["password"] = password;
            var sent = UserFields.Read(RequestForm.FromJson(new System.Text.Json.Nodes.JsonObject { ["User"] = fields }).Section("User"));
            await users.UpdateAsync(user.Organisation.Id, Ids.ParseOrNotFound(id, "User"), sent, CancellationToken.None);
            return new PageRedirect("/console/users?done=changed");
        });

    [Function(nameof(ConsoleUserServices)), AllowAnonymous]
    [EndpointSummary("Switch a service on or off for a user (service, on=1|0; administrators).")]
    [ProducesResponseType(303), PageErrors(400, 403, 404, 409)]
    public Task<IResult> ConsoleUserServices(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/users/{id}/services")] HttpRequest request, string id) =>
        run.FormAsync(request, "users", async (user, form) =>
        {
            ConsoleRun.RequireAdministrator(user);
            var userId = Ids.ParseOrNotFound(id, "User");
            var service = int.TryParse(form.Text("service", 4), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && Services.Find(s) is not null ? s : throw ApiException.BadRequest("service: is not a service.");
            await licences.SetActivationAsync(user.Organisation.Id, userId, [service], form.Text("on", 1) == "1", CancellationToken.None);
            return new PageRedirect("/console/users?done=changed");
        });

    private static Markup EditBody(ConsoleUser user, User u)
    {
        Markup Role(string role) => role == u.Role
            ? Html.Of($"<option value=\"{role}\" selected>{role}</option>")
            : Html.Of($"<option value=\"{role}\">{role}</option>");
        return Html.Of($"""
            <h1>User {u.Username}</h1>
            <form method="post" action="/console/users/{u.Id}">
            {user.CsrfField}
            <label for="user-name">First name</label><input type="text" id="user-name" name="User[name]" value="{u.Name}">
            <label for="user-lastname">Last name</label><input type="text" id="user-lastname" name="User[lastname]" value="{u.Lastname}">
            <label for="user-email">E-mail</label><input type="text" id="user-email" name="User[email]" value="{u.Email}">
            <label for="user-role">Role</label><select id="user-role" name="User[role]">{Role("agent")}{Role("administrator")}</select>
            <label for="user-password">New password (leave empty to keep it)</label>
            <input type="password" id="user-password" name="User[password]" autocomplete="new-password">
            <div class="actions"><button type="submit" class="primary">Save</button></div>
            </form>
            """);
    }

    private static Markup Body(ConsoleUser user, IReadOnlyList<User> list, string? done)
    {
        var o = user.Organisation;
        Markup Toggle(User u, Service s)
        {
            var on = u.Services.Contains(s.Id);
            return Html.Of($"""
                <form method="post" action="/console/users/{u.Id}/services">{user.CsrfField}{Html.Hidden("service", s.Id.ToString(CultureInfo.InvariantCulture))}{Html.Hidden("on", on ? "0" : "1")}<button type="submit" aria-label="{(on ? "On: switch off" : "Off: switch on")} {s.Name} for {u.Username}">{(on ? "On" : "Off")}</button></form>
                """);
        }
        var head = Html.Join(Services.All.Select(s => Html.Of($"<th scope=\"col\">{s.Name}</th>")));
        var rows = Html.Join(list.Select(u => Html.Of($"""
            <tr><td><a href="/console/users/{u.Id}">{u.Username}</a></td><td>{u.Role}</td>{Html.Join(Services.All.Select(s => Html.Of($"<td>{Toggle(u, s)}</td>")))}</tr>
            """)));
        var licenceRows = Html.Join(Services.All.Select(s => Html.Of($"""
            <tr><td>{s.Name}</td><td class="num">{o.Licences.GetValueOrDefault(s.Id)}</td><td class="num">{o.LicencesInUse.GetValueOrDefault(s.Id)}</td></tr>
            """)));
        return Html.Of($"""
            <h1>Users</h1>
            {ConsolePage.Notice(done)}
            <div class="table" tabindex="0"><table><thead><tr><th scope="col">Username</th><th scope="col">Role</th>{head}</tr></thead>
            <tbody>{rows}</tbody></table></div>
            <h2>Licences</h2>
            <div class="table" tabindex="0"><table><thead><tr><th scope="col">Service</th><th scope="col" class="num">Licences</th><th scope="col" class="num">In use</th></tr></thead>
            <tbody>{licenceRows}</tbody></table></div>
            <h2>New user</h2>
            <form method="post" action="/console/users">
            {user.CsrfField}
            <label for="new-username">Username</label><input type="text" id="new-username" name="User[username]" required>
            <label for="new-password">Password</label><input type="password" id="new-password" name="User[password]" autocomplete="new-password" required>
            <label for="new-role">Role</label><select id="new-role" name="User[role]"><option value="agent">agent</option><option value="administrator">administrator</option></select>
            <div class="actions"><button type="submit" class="primary">Create the user</button></div>
            </form>
            """);
    }
}
