using System.Text.Json;

namespace Gateway.Identity;

/// <summary>How many partitions new organisations' payments spread over (<c>Partitions</c>).</summary>
public sealed class PartitionOptions
{
    public const string Section = "Partitions";

    /// <summary>
    /// Eight partitions carry about eight times one partition's 2,000 entities/s, close to an account's 20,000 once
    /// the reads of each payment are counted; one would cap a merchant near 300 card payments a second.
    /// </summary>
    public int Default { get; set; } = 8;
}

/// <summary>A partition count an organisation used until <see cref="Until"/>.</summary>
public sealed record PartitionEra(int Count, DateTimeOffset Until);

/// <summary>
/// Over how many Payments-table partitions an organisation's card payments spread (see PaymentRows). The count
/// only rises, so reads that fan out over <see cref="Count"/> partitions meet every row ever written. A raise takes
/// effect <see cref="ChangeGrace"/> after it is made (<see cref="Since"/>): every request that began before the raise,
/// and so knows nothing of it, has ended by then, and every request that knows of it also knows the count before
/// (<see cref="Before"/>), which the idempotency protocol needs to find records written under it.
/// </summary>
public sealed record PaymentPartitions(int Count, DateTimeOffset Since, IReadOnlyList<PartitionEra> Before)
{
    /// <summary>Partitions are named by the last two digits of a transaction id.</summary>
    public const int Max = 100;

    /// <summary>Longer than any request can run (the Functions host ends HTTP requests at 230 s).</summary>
    public static readonly TimeSpan ChangeGrace = TimeSpan.FromMinutes(5);

    /// <summary>Organisations stored before partitions existed: everything in one partition.</summary>
    public static readonly PaymentPartitions One = new(1, DateTimeOffset.MinValue, []);

    /// <summary>The count new payments spread over at <paramref name="now"/>.</summary>
    public int EffectiveAt(DateTimeOffset now) => now >= Since || Before.Count == 0 ? Count : Before[^1].Count;

    /// <summary>A raise to <paramref name="count"/>, effective after the grace; 400 unless higher, 409 while one is pending.</summary>
    public PaymentPartitions RaisedTo(int count, DateTimeOffset now, string field)
    {
        if (count <= Count || count > Max)
        {
            throw Api.ApiException.BadRequest(field, $"must be more than the current {Count} and at most {Max}: partitions are only ever added.");
        }
        if (now < Since)
        {
            throw Api.ApiException.Conflict($"{field}: the raise to {Count} takes effect at {Since:O}; raise again after that.");
        }
        var effective = now + ChangeGrace;
        return new(count, effective, [.. Before, new PartitionEra(Count, effective)]);
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static PaymentPartitions FromJson(string? json) =>
        json is null ? One : JsonSerializer.Deserialize<PaymentPartitions>(json) ?? One;
}
