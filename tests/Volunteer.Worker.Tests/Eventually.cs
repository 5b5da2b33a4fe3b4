namespace Volunteer.Worker.Tests;

/// <summary>Waits, within a deadline, for something another thread brings about.</summary>
public static class Eventually
{
    public static async Task<T> ReadAsync<T>(Func<T?> read, Func<T, bool> until, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (read() is { } value && until(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Still waiting for {what} after 30 s.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(5));
        }
    }
}
