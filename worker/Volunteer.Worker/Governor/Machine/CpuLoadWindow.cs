namespace Volunteer.Worker.Governor.Machine;

/// <summary>
/// Other programs' CPU load over a sliding window of a few seconds, from cumulative counters sampled at each call: the
/// machine's busy and total CPU time over all cores, and this process's own CPU time, which is not "other".
/// </summary>
internal sealed class CpuLoadWindow(TimeProvider timeProvider, TimeSpan window)
{
    private readonly Queue<(long At, CpuCounters Counters)> _samples = new();
    private readonly Lock _gate = new();

    /// <summary>Adds a sample and returns the load since the oldest one kept (null with a single sample).</summary>
    public double? Add(CpuCounters counters)
    {
        lock (_gate)
        {
            var now = timeProvider.GetTimestamp();
            _samples.Enqueue((now, counters));
            // Keeps the newest sample at least a window old as the base, so the figure always spans the whole window.
            while (_samples.Count > 2 && timeProvider.GetElapsedTime(_samples.ElementAt(1).At, now) >= window)
            {
                _samples.Dequeue();
            }
            // A base much older than the window (the probe was not asked meanwhile) would average over the gap: start afresh.
            if (_samples.Count == 2 && timeProvider.GetElapsedTime(_samples.Peek().At, now) > 2 * window)
            {
                _samples.Dequeue();
            }
            return _samples.Count < 2 ? null : counters.OtherLoadSince(_samples.Peek().Counters);
        }
    }
}

/// <summary>Cumulative CPU time counters, in any one unit (clock ticks, 100 ns).</summary>
/// <param name="Busy">CPU time all cores spent on any work.</param>
/// <param name="Total">CPU time all cores had, busy or idle.</param>
/// <param name="Own">CPU time this process spent, all its threads.</param>
internal readonly record struct CpuCounters(double Busy, double Total, double Own)
{
    /// <summary>Other programs' share of all cores between <paramref name="earlier"/> and these counters, 0..100; null when no time passed.</summary>
    public double? OtherLoadSince(CpuCounters earlier)
    {
        var total = Total - earlier.Total;
        if (total <= 0)
        {
            return null;
        }
        var others = (Busy - earlier.Busy) - (Own - earlier.Own);
        return Math.Clamp(100 * others / total, 0, 100);
    }
}
