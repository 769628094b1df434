using Gateway.Api;
using Gateway.HostedPages;
using Gateway.Platform;

namespace Gateway.MerchantConsole;

/// <summary>
/// How every console request runs: signed out, it goes to the sign-in page; a form post must come from the console
/// (origin and CSRF token) before anything else happens; a refusal or a problem is a page in the console's layout
/// with its status, never the API's JSON.
/// </summary>
public sealed class ConsoleRun(ConsoleAuth auth, ILogger<ConsoleRun> logger)
{
    public Task<IResult> PageAsync(HttpRequest request, string section, Func<ConsoleUser, Task<IResult>> page) =>
        RunAsync(request, section, async user => await page(user));

    public Task<IResult> FormAsync(HttpRequest request, string section, Func<ConsoleUser, FormSection, Task<IResult>> action)
    {
        return RunAsync(request, section, async user =>
        {
            auth.RefuseCrossSite(request);
            var form = (await RequestForm.ReadAsync(request)).Root;
            auth.RequireCsrf(user, form);
            return await action(user, form);
        });
    }

    private async Task<IResult> RunAsync(HttpRequest request, string section, Func<ConsoleUser, Task<IResult>> run)
    {
        ConsoleUser? user = null;
        try
        {
            var state = await auth.StateAsync(request, request.HttpContext.RequestAborted);
            if (state.ChoosesOrganisation is not null) return new PageRedirect("/console/organisations");
            user = state.User;
            if (user is null) return new PageRedirect("/console/sign-in");
            return await run(user);
        }
        catch (ApiException refused)
        {
            return Problem(refused.Status, refused.Message, user, section);
        }
        catch (Exception error) when (StorageFaults.IsUnavailable(error))
        {
            logger.LogWarning("Console: storage did not answer: {Reason}", StorageFaults.Describe(error));
            return Problem(StatusCodes.Status503ServiceUnavailable, "The service is briefly unavailable; try again in a few seconds.",
                user, section);
        }
    }

    /// <summary>Pages of the organisation as a whole: its administrators, and operators looking at it.</summary>
    public static void RequireViewer(ConsoleUser user)
    {
        if (!user.SeesEverything) throw ApiException.Forbidden("This page is for administrators of the organisation.");
    }

    /// <summary>Changes the API keeps for the organisation's administrators.</summary>
    public static void RequireAdministrator(ConsoleUser user)
    {
        if (!user.IsAdministrator) throw ApiException.Forbidden("Only the organisation's administrators can do this.");
    }

    public static ConsolePage Problem(int status, string message, ConsoleUser? user, string? section) =>
        new(status switch { 403 => "Not allowed", 404 => "Not found", _ => "Something went wrong" },
            Html.Of($"<h1>{(status == 404 ? "Not found" : status == 403 ? "Not allowed" : "That did not work")}</h1>{Html.Problem(message)}"))
        {
            Status = status, User = user, Section = section,
        };
}
