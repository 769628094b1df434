using System.Globalization;
using Gateway.Api;

namespace Gateway.Identity;

/// <summary>Reading service ids from requests: <c>serviceId[]=1&amp;serviceId[]=2</c> and <c>serviceId[1]=25</c>.</summary>
public static class ServiceIds
{
    public const int MaxLicences = 100_000;

    public static IReadOnlyList<int> ReadList(FormSection form, string field)
    {
        var items = form.List(field);
        if (items.Count == 0) throw ApiException.BadRequest($"{field}[]", "at least one service id is required.");
        return [.. items.Select((item, i) => Parse(item, $"{field}[{i}]"))];
    }

    public static IReadOnlyList<KeyValuePair<int, int>> ReadCounts(FormSection form, string field)
    {
        var entries = form.Map(field);
        if (entries.Count == 0) throw ApiException.BadRequest($"{field}[ID]", "at least one service id with its licence count is required.");
        return [.. entries.Select(e =>
        {
            var name = $"{field}[{e.Key}]";
            var serviceId = Parse(e.Key, name);
            if (!int.TryParse(e.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > MaxLicences)
            {
                throw ApiException.BadRequest(name, $"must be a licence count from 0 to {MaxLicences}.");
            }
            return KeyValuePair.Create(serviceId, count);
        })];
    }

    private static int Parse(string text, string field) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && Services.Find(id) is not null
            ? id
            : throw ApiException.BadRequest(field, $"'{RequestForm.Printable(text)}' is not a service id; see GET /api/v1/constants.");
}
