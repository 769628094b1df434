using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Gateway.Api;
using Gateway.Payments;
using Gateway.Platform;

namespace Gateway.Express;

/// <summary>A file attached to an express e-mail, checked: a PDF, PNG or JPEG by its content, under the limits.</summary>
public sealed record ExpressFile(string Name, string ContentType, byte[] Content);

/// <summary>
/// What may be attached to an express e-mail. The type comes from the file's first bytes (its magic number), and the
/// declared content type and the name's extension must agree with it: a recipient's mail client trusts the name.
/// </summary>
public static partial class ExpressFileRules
{
    public const int MaxFiles = 5;
    public const int MaxFileBytes = 2 * 1024 * 1024;
    public const int MaxNameLength = 100;

    private static readonly (string Type, byte[] Magic, string[] Extensions)[] Kinds =
    [
        ("application/pdf", "%PDF-"u8.ToArray(), [".pdf"]),
        ("image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [".png"]),
        ("image/jpeg", [0xFF, 0xD8, 0xFF], [".jpg", ".jpeg"]),
    ];

    public const string Allowed = "PDF, PNG or JPEG";

    /// <summary>The checked file, or a 400 naming the field and the file.</summary>
    public static ExpressFile Check(string field, string? fileName, string? declaredType, byte[] content)
    {
        // Browsers send a bare name; older ones a full client path, of which only the last part is the name.
        var name = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        if (name.Length is 0 or > MaxNameLength || !SafeName().IsMatch(name))
        {
            throw ApiException.BadRequest(field, $"needs a file name of 1 to {MaxNameLength} letters, digits, spaces, dots, dashes or underscores.");
        }
        if (content.Length == 0) throw ApiException.BadRequest(field, $"'{name}' is empty.");
        if (content.Length > MaxFileBytes) throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{field}: '{name}' is larger than {MaxFileBytes / (1024 * 1024)} MB.");
        var kind = Kinds.FirstOrDefault(k => content.AsSpan().StartsWith(k.Magic));
        if (kind.Type is null) throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"{field}: '{name}' is not a {Allowed} file.");
        if (declaredType is not null && declaredType != "application/octet-stream" && !declaredType.Equals(kind.Type, StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"{field}: '{name}' is sent as {declaredType} but is {kind.Type}.");
        }
        if (!kind.Extensions.Contains(Path.GetExtension(name).ToLowerInvariant()))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"{field}: '{name}' must end in {string.Join(" or ", kind.Extensions)} for a {kind.Type} file.");
        }
        return new ExpressFile(name, kind.Type, content);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
    private static partial Regex SafeName();
}

/// <summary>
/// Attachments kept until their e-mail is sent, in the ExpressFiles table: a file is split into 64 KB rows (the
/// largest binary property Table Storage takes), one entity-group transaction per file.
/// </summary>
public sealed class ExpressFileStore(GatewayTables tables)
{
    private const int ChunkBytes = 64 * 1024;

    private static string Prefix(long expressId) => $"{expressId:D12}-";

    private static string FilesOf(long organisationId, long expressId) => TableFilters.RowPrefix(PaymentRows.Partition(organisationId), Prefix(expressId));

    /// <summary>
    /// Written before the express row commits (a file is too big to share its transaction), as upserts so that a
    /// storage retry of a batch that did land changes nothing. Files of a create that then fails stay unreferenced.
    /// </summary>
    public async Task SaveAsync(long organisationId, long expressId, IReadOnlyList<ExpressFile> files, CancellationToken cancellationToken)
    {
        for (var index = 0; index < files.Count; index++)
        {
            var file = files[index];
            var chunks = file.Content.Chunk(ChunkBytes).ToArray();
            var rows = chunks.Select((chunk, i) => TableActions.Upsert(new TableEntity(PaymentRows.Partition(organisationId), $"{Prefix(expressId)}{index}-{i:D3}")
            {
                ["Name"] = file.Name, ["ContentType"] = file.ContentType, ["Size"] = file.Content.Length, ["Chunks"] = chunks.Length, ["Data"] = chunk,
            })).ToList();
            await tables.ExpressFiles.SubmitTransactionAsync(rows, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<ExpressFile>> LoadAsync(long organisationId, long expressId, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in tables.ExpressFiles.QueryAsync<TableEntity>(FilesOf(organisationId, expressId), cancellationToken: cancellationToken)) rows.Add(e);
        return [.. rows.GroupBy(r => r.RowKey.Split('-')[1]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var parts = g.OrderBy(r => r.RowKey, StringComparer.Ordinal).ToList();
            var first = parts[0];
            if (parts.Count != first.GetInt32("Chunks")) throw new InvalidOperationException($"An attachment of express transaction {expressId} is incomplete.");
            return new ExpressFile(first.GetString("Name")!, first.GetString("ContentType")!, [.. parts.SelectMany(p => p.GetBinary("Data")!)]);
        })];
    }

    /// <summary>Once the e-mail is out the files have served their purpose; they are personal data, so they go.</summary>
    public async Task DeleteAsync(long organisationId, long expressId, CancellationToken cancellationToken)
    {
        var rows = new List<string>();
        await foreach (var e in tables.ExpressFiles.QueryAsync<TableEntity>(FilesOf(organisationId, expressId), select: ["RowKey"],
            cancellationToken: cancellationToken))
        {
            rows.Add(e.RowKey);
        }
        // 100 operations is the most one entity-group transaction takes; a row already gone (a retry) is no failure.
        foreach (var batch in rows.Chunk(100))
        {
            await tables.ExpressFiles.TrySubmitAsync([.. batch.Select(row => TableActions.Delete(PaymentRows.Partition(organisationId), row, ETag.All))],
                cancellationToken);
        }
    }
}
