using Gateway.Api;
using Gateway.Cards;
using Gateway.Express;
using Gateway.HostedPages;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Notifications;
using Gateway.Payments;
using Gateway.Platform;
using Gateway.Schedules;
using Gateway.Webhooks;

// Deployment step: write {FunctionName}/function.json for every function (run by the publish target).
if (args is ["write-functions", var appRoot])
{
    FunctionManifest.Write(appRoot, Functions.All);
    return 0;
}

// ./run.sh: ensure the demo platform exists and write its credentials.
var seedFile = args is ["seed-demo", var file] ? file : null;

// Content root is the app's own folder (appsettings.json, host.json), wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = seedFile is null ? args : [],
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddGatewayHosting();
builder.Services.AddGatewayPlatform(builder.Configuration);
builder.Services.AddGatewayIdentity();
builder.Services.AddGatewayPayments();
builder.Services.AddGatewayCards();
builder.Services.AddGatewaySchedules();
builder.Services.AddGatewayWebhooks();
builder.Services.AddGatewayExpress();

var app = builder.Build();

if (seedFile is not null)
{
    var demo = await DemoSeed.RunAsync(app.Services, seedFile, CancellationToken.None);
    Console.WriteLine($"Demo organisation {demo.OrganisationId} ready; credentials written to {seedFile}");
    return 0;
}

app.UseRequestIds();
app.UseApiErrors();
// Authorization authenticates with each endpoint's policy scheme; there is no default scheme (see AddGatewayIdentity).
app.UseAuthorization();

app.MapPlatform();
app.MapTokens();
app.MapOrganisations();
app.MapUsers();
app.MapApiKeys();
app.MapTestClock();
app.MapPayments();
app.MapTransactions();
app.MapCards();
app.MapSchedules();
app.MapWebhooks();
app.MapHostedPages();
app.MapExpress();
app.MapNotifications();
app.MapFunctionsHosting();

await app.RunAsync();
return 0;

/// <summary>Exposed so tests can host the app in memory (WebApplicationFactory).</summary>
public partial class Program;
