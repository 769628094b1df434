using System.Security.Cryptography;

namespace Gateway.Collections;

/// <summary>
/// The document's prefixed string ids (<c>cus_lpzgQpM56pm-FC01L4qSb</c>): the prefix, then 21 characters of an alphabet
/// listed in ASCII order, 8 of them the creation time in milliseconds and 13 random. So an id is also its row key,
/// and row-key order is creation order: lists come out oldest first and page by the last id shown.
/// </summary>
public static class CollectionsIds
{
    public const string Customer = "cus_";
    public const string BankAccount = "ban_";
    public const string Mandate = "man_";
    public const string Payment = "pay_";
    public const string Transaction = "tra_";

    /// <summary>The URL-safe alphabet of nanoid, sorted so that string order is numeric order.</summary>
    private const string Alphabet = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

    private const int TimeChars = 8;
    private const int RandomChars = 13;
    public const int Length = 4 + TimeChars + RandomChars;

    public static string New(string prefix, DateTimeOffset now)
    {
        Span<char> id = stackalloc char[Length];
        prefix.CopyTo(id);
        var ms = now.ToUnixTimeMilliseconds();
        for (var i = 4 + TimeChars - 1; i >= 4; i--, ms >>= 6) id[i] = Alphabet[(int)(ms & 63)];
        RandomNumberGenerator.GetItems(Alphabet, id[(4 + TimeChars)..]);
        return new string(id);
    }

    /// <summary>Whether <paramref name="id"/> can be an id with this prefix: anything else is never looked up.</summary>
    public static bool IsValid(string? id, string prefix) =>
        id is { Length: Length } && id.StartsWith(prefix, StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(Alphabet) < 0;
}
