using System.Globalization;

namespace Gateway.Storage;

/// <summary>
/// A $filter expression built only from validated property names and typed literals. Strings are quoted with
/// embedded quotes doubled, so caller input can never change the shape of the query.
/// </summary>
public sealed class TableFilter
{
    private readonly string _expression;

    private TableFilter(string expression) => _expression = expression;

    public static TableFilter Equal(string property, string value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, int value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, long value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, double value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, bool value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, DateTimeOffset value) => Compare(property, "eq", Literal(value));
    public static TableFilter Equal(string property, Guid value) => Compare(property, "eq", Literal(value));

    public static TableFilter NotEqual(string property, string value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, int value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, long value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, double value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, bool value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, DateTimeOffset value) => Compare(property, "ne", Literal(value));
    public static TableFilter NotEqual(string property, Guid value) => Compare(property, "ne", Literal(value));

    public static TableFilter GreaterThan(string property, string value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, int value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, long value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, double value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, bool value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, DateTimeOffset value) => Compare(property, "gt", Literal(value));
    public static TableFilter GreaterThan(string property, Guid value) => Compare(property, "gt", Literal(value));

    public static TableFilter GreaterThanOrEqual(string property, string value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, int value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, long value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, double value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, bool value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, DateTimeOffset value) => Compare(property, "ge", Literal(value));
    public static TableFilter GreaterThanOrEqual(string property, Guid value) => Compare(property, "ge", Literal(value));

    public static TableFilter LessThan(string property, string value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, int value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, long value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, double value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, bool value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, DateTimeOffset value) => Compare(property, "lt", Literal(value));
    public static TableFilter LessThan(string property, Guid value) => Compare(property, "lt", Literal(value));

    public static TableFilter LessThanOrEqual(string property, string value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, int value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, long value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, double value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, bool value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, DateTimeOffset value) => Compare(property, "le", Literal(value));
    public static TableFilter LessThanOrEqual(string property, Guid value) => Compare(property, "le", Literal(value));

    public static TableFilter PartitionKeyEquals(string partitionKey) => Equal("PartitionKey", partitionKey);

    /// <summary>RowKey ge 'prefix' and RowKey lt the prefix with its last character incremented.</summary>
    public static TableFilter RowKeyStartsWith(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var lower = GreaterThanOrEqual("RowKey", prefix);
        // A trailing U+FFFF can't be incremented: carry into the previous character instead.
        var end = prefix.TrimEnd(char.MaxValue);
        if (end.Length == 0)
        {
            return lower;
        }
        var upper = string.Concat(end.AsSpan(0, end.Length - 1), ((char)(end[^1] + 1)).ToString());
        return lower.And(LessThan("RowKey", upper));
    }

    public static TableFilter Not(TableFilter inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return new TableFilter($"not ({inner._expression})");
    }

    public TableFilter And(TableFilter other) => Combine("and", other);

    public TableFilter Or(TableFilter other) => Combine("or", other);

    public override string ToString() => _expression;

    private TableFilter Combine(string op, TableFilter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new TableFilter($"({_expression}) {op} ({other._expression})");
    }

    private static TableFilter Compare(string property, string op, string literal)
    {
        TableNames.ValidatePropertyName(property, nameof(property));
        return new TableFilter($"{property} {op} {literal}");
    }

    private static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
    }

    private static string Literal(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Literal(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    private static string Literal(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("Filters can't compare with NaN or infinities.", nameof(value));
        }
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        // A bare whole number is an Int32 literal; keep it a Double so Double properties compare by value.
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    private static string Literal(bool value) => value ? "true" : "false";

    private static string Literal(DateTimeOffset value) =>
        $"datetime'{value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}'";

    private static string Literal(Guid value) => $"guid'{value:D}'";
}
