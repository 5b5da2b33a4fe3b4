using System.Collections.Concurrent;
using System.Diagnostics;

namespace Volunteer.LoadGenerator;

/// <summary>
/// What the simulated volunteers measured: sync latencies, acknowledged reports, failures. Latencies
/// count only syncs started after the warm-up (the coordinator's JIT, thread pool and connection pool
/// filling up under a thousand simultaneous first syncs); reports count from the start.
/// </summary>
public sealed class LoadFigures(TimeSpan warmUp)
{
    private long _warmUpEnds = long.MaxValue;
    private readonly ConcurrentBag<double> _syncMilliseconds = [];
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private long _reportsAccepted;
    private int _syncsInWarmUp;

    public long ReportsAccepted => Interlocked.Read(ref _reportsAccepted);

    public int Syncs => _syncMilliseconds.Count + _syncsInWarmUp;

    /// <summary>Syncs whose latency the percentiles cover.</summary>
    public int SyncsMeasured => _syncMilliseconds.Count;

    public IReadOnlyDictionary<string, int> Failures => _failures;

    /// <summary>The load starts now; the warm-up ends <c>warmUp</c> later.</summary>
    public void Begin() => _warmUpEnds = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);

    public void RecordSync(long startedAt, int accepted)
    {
        if (startedAt >= _warmUpEnds)
        {
            _syncMilliseconds.Add(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds);
        }
        else
        {
            Interlocked.Increment(ref _syncsInWarmUp);
        }
        Interlocked.Add(ref _reportsAccepted, accepted);
    }

    public void RecordFailure(string kind) => _failures.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <summary>The latency below which <paramref name="fraction"/> of syncs completed (nearest rank).</summary>
    public double Percentile(double fraction)
    {
        var sorted = _syncMilliseconds.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
