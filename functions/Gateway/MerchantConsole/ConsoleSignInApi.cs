using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>Signing in and out of the console with an organisation user's username and password.</summary>
[Tags("Console")]
public sealed class ConsoleSignInApi(ConsoleAuth auth, PasswordSignIn signIn, IdentityStore organisations)
{
    [Function(nameof(ConsoleRoot)), AllowAnonymous]
    [EndpointSummary("The console: its home when signed in, else the sign-in page.")]
    [ProducesResponseType(303)]
    public async Task<IResult> ConsoleRoot(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console")] HttpRequest request) =>
        new PageRedirect(await auth.UserAsync(request, request.HttpContext.RequestAborted) is null ? "/console/sign-in" : "/console/home");

    [Function(nameof(ConsoleSignInPage)), AllowAnonymous]
    [EndpointSummary("The console's sign-in form.")]
    [ProducesResponseType(typeof(string), 200, "text/html")]
    public IResult ConsoleSignInPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/sign-in")] HttpRequest request) => Form(null);

    [Function(nameof(ConsoleSignIn)), AllowAnonymous]
    [EndpointSummary("Sign in (username, password): a session cookie, then the home page.")]
    [ProducesResponseType(303), ProducesResponseType(typeof(string), 401, "text/html"), PageErrors(400, 403, 429)]
    public async Task<IResult> ConsoleSignIn(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/sign-in")] HttpRequest request)
    {
        try
        {
            auth.RefuseCrossSite(request);
            var form = (await RequestForm.ReadAsync(request)).Root;
            var username = form.Text("username", 256) ?? "";
            var password = form.Secret("password", 1024) ?? "";
            var result = await signIn.CheckAsync(username, password, request.HttpContext.RequestAborted);
            if (result.RetryAfter is { } wait)
            {
                request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(
                    System.Globalization.CultureInfo.InvariantCulture);
                return Form($"Too many failed sign-ins for this username; try again in {Math.Ceiling(wait.TotalSeconds)} seconds.", 429);
            }
            if (!result.Succeeded) return Form(result.Failure, StatusCodes.Status401Unauthorized);
            await auth.SignInAsync(request.HttpContext.Response, result.User!, request.HttpContext.RequestAborted);
            // Operators belong to no organisation: they choose which one to look at first.
            if (result.Organisation is null) return new PageRedirect("/console/organisations");
            return new PageRedirect("/console/home");
        }
        catch (ApiException refused)
        {
            return Form(refused.Message, refused.Status);
        }
    }

    [Function(nameof(ConsoleOrganisationChoice)), AllowAnonymous]
    [EndpointSummary("An operator's choice of the organisation to look at.")]
    [ProducesResponseType(typeof(string), 200, "text/html"), ProducesResponseType(303)]
    public async Task<IResult> ConsoleOrganisationChoice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/organisations")] HttpRequest request)
    {
        var state = await auth.StateAsync(request, request.HttpContext.RequestAborted);
        var (user, session, csrf) = Operator(state);
        if (user is null) return new PageRedirect(state.User is null ? "/console/sign-in" : "/console/home");
        return Chooser(user, csrf!, null);
    }

    [Function(nameof(ConsoleOrganisationChoose)), AllowAnonymous]
    [EndpointSummary("Look at another organisation (operators): organisation_id.")]
    [ProducesResponseType(303), PageErrors(400, 403, 404)]
    public async Task<IResult> ConsoleOrganisationChoose(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/organisations")] HttpRequest request)
    {
        var state = await auth.StateAsync(request, request.HttpContext.RequestAborted);
        var (user, session, csrf) = Operator(state);
        if (user is null) return new PageRedirect(state.User is null ? "/console/sign-in" : "/console/home");
        try
        {
            auth.RefuseCrossSite(request);
            var form = (await RequestForm.ReadAsync(request)).Root;
            auth.RequireCsrf(session!, form);
            var id = form.TextOrNumber("organisation_id", 20) is { } text && Ids.TryParse(text, out var number)
                ? number : throw ApiException.BadRequest("organisation_id: must be an organisation's id.");
            if (await organisations.GetOrganisationAsync(id, CancellationToken.None) is null)
            {
                throw ApiException.NotFound($"No organisation {id}.");
            }
            await auth.ActForAsync(session!, id, CancellationToken.None);
            return new PageRedirect("/console/home");
        }
        catch (ApiException refused)
        {
            return Chooser(user, csrf!, refused.Message, refused.Status);
        }
    }

    /// <summary>The operator of the request, whether or not they chose an organisation yet; nulls for anyone else.</summary>
    private static (User? User, ConsoleSession? Session, string? Csrf) Operator(ConsoleState state) => state switch
    {
        { ChoosesOrganisation: { } o } => (o.User, o.Session, o.CsrfToken),
        { User: { IsOperator: true } u } => (u.User, u.Session, u.CsrfToken),
        _ => (null, null, null),
    };

    private static ConsolePage Chooser(User user, string csrf, string? problem, int status = StatusCodes.Status200OK) =>
        new("Choose an organisation", Html.Of($"""
            <h1>Choose an organisation</h1>
            <p>Signed in as {user.Username}, a platform operator.</p>
            {Html.Problem(problem)}
            <form method="post" action="/console/organisations">
            {Html.Hidden(ConsoleUser.CsrfName, csrf)}
            <label for="organisation_id">Organisation id</label>
            <input type="text" id="organisation_id" name="organisation_id" inputmode="numeric" required>
            <div class="actions"><button type="submit" class="primary">Open</button></div>
            </form>
            <form method="post" action="/console/sign-out">{Html.Hidden(ConsoleUser.CsrfName, csrf)}<div class="actions"><button type="submit">Sign out</button></div></form>
            """)) { Status = status };

    [Function(nameof(ConsoleSignOut)), AllowAnonymous]
    [EndpointSummary("Sign out: the session ends at once.")]
    [ProducesResponseType(303), PageErrors(403)]
    public async Task<IResult> ConsoleSignOut(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/sign-out")] HttpRequest request)
    {
        var state = await auth.StateAsync(request, request.HttpContext.RequestAborted);
        // An operator who has not chosen an organisation yet can sign out too.
        if ((state.User?.Session ?? state.ChoosesOrganisation?.Session) is not { } session) return new PageRedirect("/console/sign-in");
        try
        {
            auth.RefuseCrossSite(request);
            auth.RequireCsrf(session, (await RequestForm.ReadAsync(request)).Root);
        }
        catch (ApiException refused)
        {
            return ConsoleRun.Problem(refused.Status, refused.Message, state.User, null);
        }
        await auth.SignOutAsync(request.HttpContext.Response, session, CancellationToken.None);
        return new PageRedirect("/console/sign-in");
    }

    private static ConsolePage Form(string? problem, int status = StatusCodes.Status200OK) => new("Sign in", Html.Of($"""
        <h1>Sign in</h1>
        {Html.Problem(problem)}
        <form method="post" action="/console/sign-in">
        <label for="username">Username</label>
        <input type="text" id="username" name="username" autocomplete="username" required>
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required>
        <div class="actions"><button type="submit" class="primary">Sign in</button></div>
        </form>
        """)) { Status = status };
}
