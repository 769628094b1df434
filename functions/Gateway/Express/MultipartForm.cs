using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Gateway.Express;

/// <summary>
/// A <c>multipart/form-data</c> body, for the one endpoint that takes files (<c>POST /api/v1/express/email</c> with
/// <c>files[]</c>): text fields become a <see cref="RequestForm"/> like any other body, files are checked by
/// <see cref="ExpressFileRules"/>. Everything is bounded: the body, the number and size of parts, the headers.
/// Nothing else accepts multipart, so no other endpoint buffers megabytes.
/// </summary>
public static partial class MultipartForm
{
    private const int MaxFields = 20;
    private const int MaxFieldBytes = 4096;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Every file at its largest, plus room for the text fields and the parts' headers.</summary>
    public const long MaxBodyBytes = (ExpressFileRules.MaxFiles * (long)ExpressFileRules.MaxFileBytes) + (64 * 1024);

    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    public static async Task<(RequestForm Form, IReadOnlyList<ExpressFile> Files)> ReadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes) throw ApiException.TooLarge(MaxBodyBytes);
        // Bounds a body without Content-Length (chunked) too, where the server supports it.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70) throw ApiException.BadRequest("A multipart/form-data body needs a boundary of 1 to 70 characters.");

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 4096, BodyLengthLimit = ExpressFileRules.MaxFileBytes + 1L };
        var root = new JsonObject(RequestForm.NodeOptions);
        var files = new List<ExpressFile>();
        var fingerprints = new JsonArray();
        var fields = 0;
        while (await NextAsync(reader, cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw ApiException.BadRequest("Every part of a multipart/form-data body needs Content-Disposition: form-data with a name.");
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            var fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
            if (fileName is not null)
            {
                if (!FileField().IsMatch(name)) throw ApiException.BadRequest(RequestForm.Printable(name), "files can only be sent as files[].");
                if (files.Count == ExpressFileRules.MaxFiles) throw ApiException.BadRequest("files[]", $"at most {ExpressFileRules.MaxFiles} files can be attached.");
                var content = await ReadPartAsync(section, ExpressFileRules.MaxFileBytes, cancellationToken)
                    ?? throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"files[]: '{fileName}' is larger than {ExpressFileRules.MaxFileBytes / (1024 * 1024)} MB.");
                var file = ExpressFileRules.Check("files[]", fileName, section.ContentType, content);
                files.Add(file);
                // Idempotency fingerprints cover the files too: a retry with other files is another request.
                fingerprints.Add($"{file.Name}:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file.Content))}");
                continue;
            }
            if (!TextField().IsMatch(name)) throw ApiException.BadRequest(RequestForm.Printable(name), "is not a field of this request.");
            if (name == "files") throw ApiException.BadRequest("files[]", "must be sent as files, with a file name.");
            if (++fields > MaxFields || root.ContainsKey(name)) throw ApiException.BadRequest(name, "is sent more than once, or there are too many fields.");
            var bytes = await ReadPartAsync(section, MaxFieldBytes, cancellationToken) ?? throw ApiException.BadRequest(name, $"must be at most {MaxFieldBytes} bytes.");
            try
            {
                root[name] = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw ApiException.BadRequest(name, "is not valid UTF-8 text.");
            }
        }
        if (files.Count > 0) root["files"] = fingerprints;
        return (RequestForm.FromJson(root), files);
    }

    private static async Task<MultipartSection?> NextAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception error) when (error is InvalidDataException || IsCutShort(error))
        {
            throw ApiException.BadRequest("The body is not valid multipart/form-data (or a part's headers are too large).");
        }
    }

    /// <summary>The part's bytes, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadPartAsync(MultipartSection section, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await section.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            // The reader's own per-part limit, just above ours.
            return null;
        }
        catch (IOException error) when (IsCutShort(error))
        {
            throw ApiException.BadRequest("The multipart/form-data body ends inside a part.");
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The body ended before the multipart structure did. Not the server's own refusals (a body over its size
    /// limit, a malformed chunk), which are BadHttpRequestExceptions answered with their own status.
    /// </summary>
    private static bool IsCutShort(Exception error) => error is IOException and not BadHttpRequestException;

    [GeneratedRegex(@"^files\[[0-9]{0,2}\]$")]
    private static partial Regex FileField();

    [GeneratedRegex("^[a-z_]{1,32}$")]
    private static partial Regex TextField();
}
