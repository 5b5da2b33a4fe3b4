namespace Volunteer.Testing;

/// <summary>Polling with a deadline: nothing in these tests waits without bound.</summary>
public static class Eventually
{
    /// <summary>How long a wait for processes may take unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Polls <paramref name="probe"/> every <paramref name="interval"/> until it returns a value; null once <paramref name="timeout"/> has passed.</summary>
    public static async Task<T?> PollAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, TimeSpan interval)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow >= deadline)
            {
                return null;
            }
            await Task.Delay(interval);
        }
    }

    /// <summary>
    /// Polls <paramref name="probe"/> until it returns a value, or fails after <paramref name="timeout"/>
    /// with <paramref name="what"/> and whatever <paramref name="diagnostics"/> says (e.g. the processes' log tails).
    /// A probe that fails to connect or times out is tried again: the process may be starting, stopping or failing over.
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
        Exception? lastError = null;
        var value = await PollAsync(
            async () =>
            {
                try
                {
                    var found = await probe();
                    lastError = null;
                    return found;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    lastError = ex;
                    return null;
                }
            },
            limit,
            interval ?? TimeSpan.FromMilliseconds(200));
        if (value is null)
        {
            var error = lastError is null ? "" : $"Last error: {lastError.GetType().Name}: {lastError.Message}\n";
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.\n{error}{diagnostics()}");
        }
        return value;
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
