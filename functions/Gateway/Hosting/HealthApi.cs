using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Gateway.Api;
using Gateway.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Hosting;

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, string> Storage);

/// <summary>Whether the gateway can reach its storage: for load balancers, monitors and operators.</summary>
[Tags("Platform")]
public sealed class HealthApi(TableServiceClient tables, QueueServiceClient queues)
{
    /// <summary>
    /// One cheap authenticated call per service, in parallel, each held to the storage call's deadline
    /// (<c>Storage:Retry:OperationTimeout</c>); the storage error code is shown, never the account.
    /// </summary>
    [Function(nameof(Health)), AllowAnonymous]
    [EndpointSummary("Whether the gateway and its storage answer. 503 when storage does not.")]
    [ProducesResponseType<HealthResponse>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var checks = await Task.WhenAll(
            Check("tables", FirstPageAsync(tables.QueryAsync(maxPerPage: 1, cancellationToken: cancellationToken))),
            Check("queues", FirstPageAsync(queues.GetQueuesAsync(cancellationToken: cancellationToken))));
        var storage = checks.ToDictionary(c => c.Name, c => c.Result);
        var healthy = checks.All(c => c.Result == "ok");
        var response = new HealthResponse(healthy ? "healthy" : "unhealthy", storage);
        return healthy
            ? TypedResults.Ok(response)
            : TypedResults.Json(response, ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);

        static async Task<(string Name, string Result)> Check(string name, Task check)
        {
            try
            {
                await check;
                return (name, "ok");
            }
            catch (Exception error) when (StorageFaults.IsUnavailable(error) || error is RequestFailedException)
            {
                return (name, $"failed: {StorageFaults.Describe(error)}");
            }
        }

        // Listing one table (or queue) is the cheapest call each service authenticates.
        static async Task FirstPageAsync<T>(AsyncPageable<T> items) where T : notnull
        {
            await using var pages = items.AsPages(pageSizeHint: 1).GetAsyncEnumerator();
            await pages.MoveNextAsync();
        }
    }
}
