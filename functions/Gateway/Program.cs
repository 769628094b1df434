using Gateway.Hosting;

// ./run.sh: ensure the demo platform exists and write its credentials, then exit.
if (args is ["seed-demo", var seedFile])
{
    await using var app = HostingSetup.BuildLocal([]);
    var demo = await DemoSeed.RunAsync(app.Services, seedFile, CancellationToken.None);
    Console.WriteLine($"Demo organisation {demo.OrganisationId} ready; credentials written to {seedFile}");
    return 0;
}

if (HostingSetup.UnderFunctionsHost(args))
{
    await HostingSetup.BuildWorker(args).RunAsync();
}
else
{
    await HostingSetup.BuildLocal(args).RunAsync();
}
return 0;

/// <summary>Exposed so tests can host the app in memory (WebApplicationFactory).</summary>
public partial class Program;
