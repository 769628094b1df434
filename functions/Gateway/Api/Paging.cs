using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Api;

/// <summary>
/// Lists answer plain arrays, as documented, at most <c>limit</c> items (default 500, at most 1000) in id order.
/// When more remain, <c>Link: &lt;...&gt;; rel="next"</c> and <c>X-Next-Page-Token</c> say how to fetch them: the
/// token is the last id shown, so a page never repeats or skips items added meanwhile.
/// </summary>
public sealed record Paging(int Limit, long AfterId)
{
    public const int DefaultLimit = 500;
    public const int MaxLimit = 1000;

    public static Paging Read(HttpRequest request)
    {
        var after = Query(request, "page_token") is { } token
            ? Ids.TryParse(token, out var a) ? a : throw ApiException.BadRequest("page_token", "is not a token from a previous page.")
            : 0;
        return new Paging(ReadLimit(request), after);
    }

    /// <summary><c>limit</c>: 1 to <see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>.</summary>
    public static int ReadLimit(HttpRequest request) => Query(request, "limit") is { } l
        ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit ? n
            : throw ApiException.BadRequest("limit", $"must be a whole number from 1 to {MaxLimit}.")
        : DefaultLimit;

    /// <summary>The next page's headers: this request's URL with <c>page_token</c> set to <paramref name="next"/>.</summary>
    public static void LinkNext(HttpContext http, string next)
    {
        var query = QueryHelpers.ParseQuery(http.Request.QueryString.Value);
        query["page_token"] = next;
        var url = QueryHelpers.AddQueryString(http.Request.Path, query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v))));
        http.Response.Headers.Link = $"<{url}>; rel=\"next\"";
        http.Response.Headers["X-Next-Page-Token"] = next;
    }

    /// <summary>Takes up to <see cref="Limit"/> items of <paramref name="source"/> (read lazily), setting the next-page headers when more remain.</summary>
    public async Task<T[]> TakeAsync<T>(HttpContext http, IAsyncEnumerable<T> source, Func<T, long> id)
    {
        var items = new List<T>(Math.Min(Limit, 64));
        await foreach (var item in source)
        {
            if (items.Count < Limit)
            {
                items.Add(item);
                continue;
            }
            LinkNext(http, id(items[^1]).ToString(CultureInfo.InvariantCulture));
            break;
        }
        return [.. items];
    }

    /// <summary>A query parameter given at most once, trimmed; null when absent or empty.</summary>
    public static string? Query(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count > 1) throw ApiException.BadRequest(name, "must be given once.");
        var value = values.Count == 1 ? values[0]?.Trim() : null;
        return string.IsNullOrEmpty(value) ? null : value.Length > 256 ? throw ApiException.BadRequest(name, "is too long.") : value;
    }
}
