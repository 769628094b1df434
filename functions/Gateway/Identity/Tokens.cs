using Azure;
using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;
using Gateway.Platform;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>How long a token from <c>POST /api/v1/token</c> is accepted. One hour by default.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Bearer tokens. The client gets 128 random bits as 32 hex characters (the documented format); the Tokens table
/// keeps only their SHA-256, so a leaked table holds nothing usable. A token dies at its expiry, or earlier when
/// the user's password (and so their credential version) changes.
/// </summary>
public sealed class TokenService(GatewayTables tables, IOptions<TokenOptions> options, TimeProvider time)
{
    private const string RowKey = "token";

    public async Task<(string Token, DateTimeOffset Expires)> IssueAsync(User user, CancellationToken cancellationToken)
    {
        var token = Secrets.Hex(16);
        var expires = time.GetUtcNow() + options.Value.Lifetime;
        var entity = new TableEntity(Secrets.Fingerprint(token), RowKey)
        {
            ["UserId"] = user.Id,
            ["CredentialVersion"] = user.CredentialVersion,
            ["Expires"] = expires,
        };
        if (user.OrganisationId is { } org) entity["OrganisationId"] = org;
        await tables.Tokens.InsertFreshAsync(entity, cancellationToken);
        return (token, expires);
    }

    /// <summary>Who a live token belongs to, or null when unknown or expired.</summary>
    public async Task<TokenHolder?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length != 32 || !token.All(char.IsAsciiHexDigitLower)) return null;
        var entity = await tables.Tokens.FindAsync(Secrets.Fingerprint(token), RowKey, cancellationToken: cancellationToken);
        if (entity is null || entity.GetDateTimeOffset("Expires") <= time.GetUtcNow()) return null;
        return new TokenHolder(entity.GetInt64("OrganisationId"), entity.GetInt64("UserId")!.Value, entity.GetInt32("CredentialVersion") ?? 0);
    }

    /// <summary>Deletes expired token rows; run hourly by <see cref="TokenSweep"/>.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var expired = TableClient.CreateQueryFilter($"Expires lt {time.GetUtcNow()}");
        var deleted = 0;
        await foreach (var row in tables.Tokens.QueryAsync<TableEntity>(expired, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (await tables.Tokens.TryDeleteAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken)) deleted++;
        }
        return deleted;
    }
}

public sealed record TokenHolder(long? OrganisationId, long UserId, int CredentialVersion);

/// <summary>Timer function: keeps the Tokens table from growing with dead rows.</summary>
public sealed class TokenSweep(TokenService tokens, ILogger<TokenSweep> logger)
{
    /// <remarks>Hourly, at minute 17 (off the hour, when other work clusters). A missed run needs no replay.</remarks>
    [Function(nameof(TokenSweep))]
    public async Task Run([TimerTrigger("0 17 * * * *", UseMonitor = false)] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.NoteIfLate(timer);
        var deleted = await tokens.DeleteExpiredAsync(cancellationToken);
        logger.LogInformation("Deleted {Count} expired tokens", deleted);
    }
}
