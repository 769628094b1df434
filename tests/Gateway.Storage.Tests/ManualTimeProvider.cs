namespace Gateway.Storage.Tests;

/// <summary>
/// A clock that only moves when told to. Timers still come from the base class (real time), so back-off and
/// attempt timeouts behave normally while x-ms-date follows this clock.
/// </summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _now += by;
        }
    }
}
