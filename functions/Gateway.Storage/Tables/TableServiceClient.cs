using Gateway.Storage.Internal;

namespace Gateway.Storage;

/// <summary>The Table service of one storage account, over the REST API with SharedKey signing.</summary>
public sealed class TableServiceClient
{
    private readonly StorageTransport _transport;
    private readonly string _endpoint;

    public TableServiceClient(HttpClient http, StorageAccount account, StorageRetryOptions? retry = null, TimeProvider? time = null)
    {
        _transport = new StorageTransport(http, account, SigningFormat.Table, TableHttp.Version, retry, time);
        _endpoint = account.TableEndpoint.AbsoluteUri;
    }

    /// <summary>A client for one table; the name must match ^[A-Za-z][A-Za-z0-9]{2,62}$ and not be "tables".</summary>
    public TableClient GetTableClient(string tableName)
    {
        TableNames.ValidateTableName(tableName);
        return new TableClient(tableName, _endpoint, _transport);
    }

    /// <summary>The cheapest authenticated call (Query Tables, $top=1); throws StorageException when it fails.</summary>
    public async Task CheckAsync(CancellationToken ct = default)
    {
        using var response = await _transport.SendAsync(
            () => TableHttp.Request(HttpMethod.Get, _endpoint + "Tables?$top=1"), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await StorageErrors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
    }
}
