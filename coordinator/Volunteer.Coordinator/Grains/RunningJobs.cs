namespace Volunteer.Coordinator.Grains;

/// <summary>
/// This silo's copy of the catalog's running jobs, so that a sync does not make a grain call just to
/// learn the dispatch order. A job started or ended through this silo is seen at once; one started
/// through another silo within <see cref="MaxAge"/>. A stale entry costs nothing but an empty lease
/// from a job that has ended.
/// </summary>
public sealed class RunningJobs(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private Snapshot? _snapshot;
    private long _changes;

    /// <param name="fresh">Ask the catalog even if this silo's copy is young: for a decision a stale copy could get wrong.</param>
    public async Task<IReadOnlyList<RunningJob>> GetAsync(bool fresh = false)
    {
        var now = time.GetUtcNow();
        long changes;
        lock (_lock)
        {
            if (!fresh && _snapshot is { } current && now - current.TakenAt < MaxAge)
            {
                return current.Jobs;
            }
            changes = _changes;
        }
        var jobs = await grains.Reference<IJobCatalogGrain>(0).GetRunningJobsAsync();
        lock (_lock)
        {
            // A change made through this silo while the call was out may be missing from this answer: don't keep it.
            if (_changes == changes)
            {
                _snapshot = new Snapshot(jobs, now);
            }
        }
        return jobs;
    }

    /// <summary>Called once the catalog has learned of a change made through this silo.</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _changes++;
            _snapshot = null;
        }
    }

    private sealed record Snapshot(IReadOnlyList<RunningJob> Jobs, DateTimeOffset TakenAt);
}
