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

    public static TableFilter Equal(string property, TableLiteral value) => Compare(property, "eq", value);
    public static TableFilter NotEqual(string property, TableLiteral value) => Compare(property, "ne", value);
    public static TableFilter GreaterThan(string property, TableLiteral value) => Compare(property, "gt", value);
    public static TableFilter GreaterThanOrEqual(string property, TableLiteral value) => Compare(property, "ge", value);
    public static TableFilter LessThan(string property, TableLiteral value) => Compare(property, "lt", value);
    public static TableFilter LessThanOrEqual(string property, TableLiteral value) => Compare(property, "le", value);

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

    private static TableFilter Compare(string property, string op, TableLiteral literal)
    {
        TableNames.ValidatePropertyName(property, nameof(property));
        // default(TableLiteral) is the one value not made by a conversion.
        return new TableFilter($"{property} {op} {literal.Text ?? throw new ArgumentException("A filter needs a value.", nameof(literal))}");
    }
}

/// <summary>
/// A typed OData literal, made only by the implicit conversions from the supported types, so a filter's values
/// are always formatted (and strings always quoted) here.
/// </summary>
public readonly struct TableLiteral
{
    private TableLiteral(string text) => Text = text;

    internal string Text { get; }

    public static implicit operator TableLiteral(string value) => new(Literal(value));
    public static implicit operator TableLiteral(int value) => new(value.ToString(CultureInfo.InvariantCulture));
    public static implicit operator TableLiteral(long value) => new(value.ToString(CultureInfo.InvariantCulture) + "L");
    public static implicit operator TableLiteral(double value) => new(Literal(value));
    public static implicit operator TableLiteral(bool value) => new(value ? "true" : "false");
    public static implicit operator TableLiteral(DateTimeOffset value) =>
        new($"datetime'{value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}'");
    public static implicit operator TableLiteral(Guid value) => new($"guid'{value:D}'");

    private static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";
    }

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
}
