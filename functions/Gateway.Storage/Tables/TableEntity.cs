namespace Gateway.Storage;

/// <summary>
/// A table row: keys, ETag, Timestamp and typed properties. Property values are string, int, long, double, bool,
/// DateTimeOffset, Guid or byte[]; assigning null removes the property (omitted on write).
/// </summary>
public sealed class TableEntity
{
    // 255 properties per entity, of which PartitionKey, RowKey and Timestamp are three.
    private const int MaxCustomProperties = 252;

    private readonly Dictionary<string, object?> _properties = new(StringComparer.Ordinal);

    public TableEntity(string partitionKey, string rowKey)
    {
        TableNames.ValidateKey(partitionKey, nameof(partitionKey));
        TableNames.ValidateKey(rowKey, nameof(rowKey));
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    // Entities read from the service skip key validation: the cloud allows longer keys than Azurite, and the
    // service has already accepted them.
    private TableEntity(string partitionKey, string rowKey, bool _)
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; }

    public string RowKey { get; }

    public string? ETag { get; set; }

    /// <summary>Server-managed last-modified time; ignored on write.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    public IReadOnlyDictionary<string, object?> Properties => _properties;

    public object? this[string property]
    {
        get => _properties.GetValueOrDefault(property);
        set
        {
            TableNames.ValidatePropertyName(property, nameof(property));
            if (property is "PartitionKey" or "RowKey" or "Timestamp")
            {
                throw new ArgumentException($"'{property}' is a system property; use the constructor or the Timestamp property.", nameof(property));
            }
            if (value is null)
            {
                _properties.Remove(property);
                return;
            }
            if (value is not (string or int or long or double or bool or DateTimeOffset or Guid or byte[]))
            {
                throw new ArgumentException(
                    $"Property '{property}' has type {value.GetType().Name}; supported types are string, int, long, double, bool, DateTimeOffset, Guid and byte[].",
                    nameof(value));
            }
            if (!_properties.ContainsKey(property) && _properties.Count >= MaxCustomProperties)
            {
                throw new ArgumentException($"An entity can have at most {MaxCustomProperties} properties besides the keys and Timestamp.", nameof(property));
            }
            _properties[property] = value;
        }
    }

    public string? GetString(string property) => Get<string>(property);

    /// <summary>The value of an Int64 property, or of an Int32 one (widened).</summary>
    public long? GetInt64(string property) => _properties.GetValueOrDefault(property) switch
    {
        null => null,
        long value => value,
        int value => value,
        var other => throw Mismatch(property, other, "Int64"),
    };

    public int? GetInt32(string property) => GetValue<int>(property);

    /// <summary>The value of a Double property, or of an Int32 one: an unannotated whole number is stored as Int32.</summary>
    public double? GetDouble(string property) => _properties.GetValueOrDefault(property) switch
    {
        null => null,
        double value => value,
        int value => value,
        var other => throw Mismatch(property, other, "Double"),
    };

    public bool? GetBoolean(string property) => GetValue<bool>(property);

    public DateTimeOffset? GetDateTimeOffset(string property) => GetValue<DateTimeOffset>(property);

    public Guid? GetGuid(string property) => GetValue<Guid>(property);

    public byte[]? GetBinary(string property) => Get<byte[]>(property);

    public override string ToString() => $"TableEntity({PartitionKey}, {RowKey}, {_properties.Count} properties)";

    internal static TableEntity FromService(string partitionKey, string rowKey) => new(partitionKey, rowKey, true);

    /// <summary>Sets a value parsed from the service, bypassing name checks the service has already applied.</summary>
    internal void SetFromService(string property, object value) => _properties[property] = value;

    private T? Get<T>(string property)
        where T : class => _properties.GetValueOrDefault(property) switch
    {
        null => null,
        T value => value,
        var other => throw Mismatch(property, other, typeof(T).Name),
    };

    private T? GetValue<T>(string property)
        where T : struct => _properties.GetValueOrDefault(property) switch
    {
        null => null,
        T value => value,
        var other => throw Mismatch(property, other, typeof(T).Name),
    };

    private static InvalidCastException Mismatch(string property, object value, string wanted) =>
        new($"Property '{property}' holds a {value.GetType().Name}, not a {wanted}.");
}
