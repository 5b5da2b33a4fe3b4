namespace Volunteer.EndToEnd.Tests;

/// <summary>Polling with a deadline: nothing in these tests waits without bound.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Polls <paramref name="probe"/> until it returns a value, or fails after <paramref name="timeout"/>
    /// with <paramref name="what"/> and whatever <paramref name="diagnostics"/> says (e.g. the processes' log tails).
    /// </summary>
    public static async Task<T> WaitAsync<T>(
        string what,
        Func<Task<T?>> probe,
        Func<string> diagnostics,
        TimeSpan? timeout = null,
        TimeSpan? interval = null)
        where T : class
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
                lastError = null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                lastError = ex;
            }
            if (DateTime.UtcNow >= deadline)
            {
                var error = lastError is null ? "" : $"Last error: {lastError.GetType().Name}: {lastError.Message}\n";
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.\n{error}{diagnostics()}");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Waits for a condition; see <see cref="WaitAsync{T}"/>.</summary>
    public static async Task UntilAsync(
        string what,
        Func<bool> condition,
        Func<string> diagnostics,
        TimeSpan? timeout = null,
        TimeSpan? interval = null) =>
        await WaitAsync(what, () => Task.FromResult(condition() ? "done" : null), diagnostics, timeout, interval);
}
