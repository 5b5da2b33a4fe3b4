namespace Volunteer.Coordinator.Dashboard;

/// <summary>
/// Figures a public page shows, computed at most once per key per <paramref name="lifetime"/> on this silo and handed to
/// every viewer who asks meanwhile: a hundred viewers of one page cost the store what one does. A viewer who asks while
/// they are being computed waits for that computation rather than starting another, and a failure is shared for the
/// lifetime too, so a store in trouble is not asked once per viewer. At most <paramref name="capacity"/> keys are kept:
/// a new key past that displaces the expired ones, else the oldest.
/// </summary>
internal sealed class SharedSnapshots<TKey, TValue>(TimeProvider time, TimeSpan lifetime, int capacity)
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Snapshot> _snapshots = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _snapshots.Count;
            }
        }
    }

    /// <summary>
    /// The snapshot of <paramref name="key"/>, computed by <paramref name="compute"/> if there is none younger than the
    /// lifetime. The computation is not tied to this caller: <paramref name="cancellationToken"/> ends only the wait.
    /// </summary>
    public Task<TValue> GetAsync(TKey key, Func<TKey, Task<TValue>> compute, CancellationToken cancellationToken)
    {
        Snapshot snapshot;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (!_snapshots.TryGetValue(key, out snapshot!) || time.GetElapsedTime(snapshot.TakenAt, now) >= lifetime)
            {
                if (snapshot is null && _snapshots.Count >= capacity)
                {
                    MakeRoom(now);
                }
                snapshot = new Snapshot(new Lazy<Task<TValue>>(() => ComputeAsync(compute, key)), now);
                _snapshots[key] = snapshot;
            }
        }
        // Started outside the lock, once: whoever gets here first runs it, the others wait for its task.
        return snapshot.Value.Value.WaitAsync(cancellationToken);
    }

    /// <summary>A computation that throws at once fails its task instead, like one that throws later.</summary>
    private static async Task<TValue> ComputeAsync(Func<TKey, Task<TValue>> compute, TKey key) => await compute(key);

    private void MakeRoom(long now)
    {
        foreach (var expired in _snapshots.Where(s => time.GetElapsedTime(s.Value.TakenAt, now) >= lifetime).Select(s => s.Key).ToList())
        {
            _snapshots.Remove(expired);
        }
        if (_snapshots.Count >= capacity)
        {
            _snapshots.Remove(_snapshots.MinBy(s => s.Value.TakenAt).Key);
        }
    }

    private sealed record Snapshot(Lazy<Task<TValue>> Value, long TakenAt);
}
