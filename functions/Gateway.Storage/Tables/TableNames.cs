using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Storage;

/// <summary>Validation of table names, keys and property names, and the entity paths built from them.</summary>
internal static partial class TableNames
{
    // The cloud allows 1 KiB keys; Azurite caps them at 512 characters, and code must run on both.
    public const int MaxKeyLength = 512;
    public const int MaxPropertyNameLength = 255;

    public static void ValidateTableName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!TableNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"Table name '{name}' must be 3-63 letters or digits, starting with a letter.", nameof(name));
        }
        if (string.Equals(name, "tables", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("'tables' is a reserved table name.", nameof(name));
        }
    }

    public static void ValidateKey(string key, string paramName)
    {
        ArgumentNullException.ThrowIfNull(key, paramName);
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"{paramName} is longer than {MaxKeyLength} characters.", paramName);
        }
        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' or <= '\u001f' or (>= '\u007f' and <= '\u009f'))
            {
                throw new ArgumentException(
                    $"{paramName} contains '{(char.IsControl(c) ? $"U+{(int)c:X4}" : c)}', which table keys can't contain (/ \\ # ? or control characters).",
                    paramName);
            }
        }
    }

    /// <summary>C# identifier rules, at most 255 characters.</summary>
    public static void ValidatePropertyName(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (name.Length is 0 or > MaxPropertyNameLength || !IsIdentifierStart(name[0]) || !name.Skip(1).All(IsIdentifierPart))
        {
            throw new ArgumentException(
                $"Property name '{name}' must be a C# identifier of at most {MaxPropertyNameLength} characters.", paramName);
        }
    }

    /// <summary>table(PartitionKey='..',RowKey='..') with quotes doubled (OData) and then percent-encoded.</summary>
    public static string EntityPath(string table, string partitionKey, string rowKey) =>
        $"{table}(PartitionKey='{EncodeKey(partitionKey)}',RowKey='{EncodeKey(rowKey)}')";

    private static string EncodeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static bool IsIdentifierStart(char c) => c == '_' || char.GetUnicodeCategory(c) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || char.GetUnicodeCategory(c) is
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.NonSpacingMark
        or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Format;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableNamePattern();
}
