using System.Collections.Concurrent;

namespace Volunteer.LoadGenerator;

/// <summary>What the simulated volunteers measured: sync latencies, acknowledged reports, failures.</summary>
public sealed class LoadFigures
{
    private readonly ConcurrentBag<double> _syncMilliseconds = [];
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private long _reportsAccepted;

    public long ReportsAccepted => Interlocked.Read(ref _reportsAccepted);

    public int Syncs => _syncMilliseconds.Count;

    public IReadOnlyDictionary<string, int> Failures => _failures;

    public void RecordSync(TimeSpan latency, int accepted)
    {
        _syncMilliseconds.Add(latency.TotalMilliseconds);
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
