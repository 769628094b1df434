namespace Gateway.Api;

/// <summary>Ids in URLs: positive decimal integers; anything else is simply not found.</summary>
public static class Ids
{
    public static bool TryParse(string text, out long id) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id) && id > 0;

    public static long ParseOrNotFound(string text, string what) =>
        TryParse(text, out var id) ? id : throw ApiException.NotFound($"{what} not found.");
}
