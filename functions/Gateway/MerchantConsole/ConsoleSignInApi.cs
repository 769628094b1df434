using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.MerchantConsole;

/// <summary>Signing in and out of the console with an organisation user's username and password.</summary>
[Tags("Console")]
public sealed class ConsoleSignInApi(ConsoleAuth auth, PasswordSignIn signIn, ConsoleRun run)
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
            // Operators belong to no organisation; the console shows one organisation's business.
            if (result.Organisation is null)
            {
                return Form("The console is for an organisation's users; operators use the API.", StatusCodes.Status403Forbidden);
            }
            await auth.SignInAsync(request.HttpContext.Response, result.User!, request.HttpContext.RequestAborted);
            return new PageRedirect("/console/home");
        }
        catch (ApiException refused)
        {
            return Form(refused.Message, refused.Status);
        }
    }

    [Function(nameof(ConsoleSignOut)), AllowAnonymous]
    [EndpointSummary("Sign out: the session ends at once.")]
    [ProducesResponseType(303), PageErrors(403)]
    public Task<IResult> ConsoleSignOut(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "console/sign-out")] HttpRequest request) =>
        run.FormAsync(request, "home", async (user, _) =>
        {
            await auth.SignOutAsync(request.HttpContext.Response, user, CancellationToken.None);
            return new PageRedirect("/console/sign-in");
        });

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
