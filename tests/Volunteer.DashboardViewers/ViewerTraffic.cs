namespace Volunteer.DashboardViewers;

/// <summary>What the viewers' circuits received since the last look, and how many are still open; thread-safe.</summary>
public sealed class ViewerTraffic
{
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
    private long _frames;
    private long _bytes;
    private int _open;

    public int Open => Volatile.Read(ref _open);

    public void Opened() => Interlocked.Increment(ref _open);

    public void Closed() => Interlocked.Decrement(ref _open);

    public void Received(int bytes)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Error(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Frames and bytes received since the last call.</summary>
    public (long Frames, long Bytes) Take() => (Interlocked.Exchange(ref _frames, 0), Interlocked.Exchange(ref _bytes, 0));
}
