namespace Gateway.Platform;

/// <summary>Where the app runs: under the Azure Functions host, or as its own local host (./run.sh, the tests).</summary>
public static class FunctionsEnvironment
{
    /// <summary>The Functions host sets this in its worker's environment; on Azure it is an app setting too.</summary>
    public const string WorkerRuntimeSetting = "FUNCTIONS_WORKER_RUNTIME";

    public static bool UnderFunctionsHost(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[WorkerRuntimeSetting]);
}
