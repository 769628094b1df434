namespace Gateway.Tests.Infrastructure;

/// <summary>Waiting for something that happens in the background: poll the condition until it holds or a deadline passes.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, within);

    /// <summary>
    /// A read through the app's own storage clients, tried again while storage answers 503 ServerBusy: under the
    /// simulated storage limits (test.sh's second run) a test that has just spent a partition's rate can meet that.
    /// </summary>
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read, string what)
    {
        T result = default!;
        await HoldsAsync(async () =>
        {
            try
            {
                result = await read();
                return true;
            }
            catch (Azure.RequestFailedException busy) when (busy.Status == 503)
            {
                return false;
            }
        }, what, TimeSpan.FromSeconds(60));
        return result;
    }
}
