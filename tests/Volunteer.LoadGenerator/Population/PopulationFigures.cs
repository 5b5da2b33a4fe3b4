using System.Collections.Concurrent;
using System.Diagnostics;

namespace Volunteer.LoadGenerator.Population;

/// <summary>
/// What the simulated population saw, window by window: each successful request's latency (whole, and its TCP connect
/// alone), the reports acknowledged, failures by kind; and, for the run as a whole, a per-second line of syncs served
/// and failed, so what volunteers saw around a silo failure can be read second by second.
/// </summary>
public sealed class PopulationFigures
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly int[] _servedBySecond = new int[24 * 3600];
    private readonly int[] _failedBySecond = new int[24 * 3600];
    private readonly int[] _slowBySecond = new int[24 * 3600];
    private readonly int[] _maxBySecond = new int[24 * 3600];
    private Window _window = new();
    private int _servedOnce;

    /// <summary>Volunteers that have had a sync served: a herd of first syncs is over when all active ones have.</summary>
    public int ServedOnce => Volatile.Read(ref _servedOnce);

    public void FirstServed() => Interlocked.Increment(ref _servedOnce);

    /// <summary>Seconds since the figures began.</summary>
    public int Second => (int)Stopwatch.GetElapsedTime(_start).TotalSeconds;

    /// <summary>Starts a new window and returns the one that ends.</summary>
    public Window NextWindow() => Interlocked.Exchange(ref _window, new Window());

    /// <summary>A sync slower than this counts as slow in the per-second line: the latency target of the population runs.</summary>
    public const int SlowMilliseconds = 50;

    public void Served(FreshAnswer answer, int accepted, int leased)
    {
        var second = Math.Min(Second, _servedBySecond.Length - 1);
        Interlocked.Increment(ref _servedBySecond[second]);
        var milliseconds = (int)Math.Ceiling(answer.TotalMilliseconds);
        if (milliseconds > SlowMilliseconds)
        {
            Interlocked.Increment(ref _slowBySecond[second]);
        }
        for (var max = Volatile.Read(ref _maxBySecond[second]); milliseconds > max;)
        {
            var seen = Interlocked.CompareExchange(ref _maxBySecond[second], milliseconds, max);
            max = seen == max ? milliseconds : seen;
        }
        _window.Add(answer, accepted, leased);
    }

    public void Failed(string kind)
    {
        Interlocked.Increment(ref _failedBySecond[Math.Min(Second, _failedBySecond.Length - 1)]);
        _window.Failures.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    /// <summary>Syncs served and failed in each second from <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
    public IEnumerable<(int Second, int Served, int Failed)> Timeline(int from, int to)
    {
        for (var s = Math.Max(0, from); s < Math.Min(to, _servedBySecond.Length); s++)
        {
            yield return (s, Volatile.Read(ref _servedBySecond[s]), Volatile.Read(ref _failedBySecond[s]));
        }
    }

    /// <summary>Syncs slower than <see cref="SlowMilliseconds"/> from second <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
    public int SlowSyncs(int from, int to)
    {
        var slow = 0;
        for (var s = Math.Max(0, from); s < Math.Min(to, _slowBySecond.Length); s++)
        {
            slow += Volatile.Read(ref _slowBySecond[s]);
        }
        return slow;
    }

    /// <summary>
    /// The seconds from <paramref name="from"/> to <paramref name="to"/> (exclusive) with the most syncs slower than
    /// <see cref="SlowMilliseconds"/>, with that count and the slowest sync's milliseconds: slow syncs bunched in
    /// seconds a fixed period apart point at something periodic (a flush, a sweep, a full collection), spread evenly
    /// at queueing.
    /// </summary>
    public IEnumerable<(int Second, int Slow, int MaxMilliseconds)> SlowestSeconds(int from, int to, int count) =>
        Enumerable.Range(Math.Max(0, from), Math.Max(0, Math.Min(to, _slowBySecond.Length) - Math.Max(0, from)))
            .Select(s => (Second: s, Slow: Volatile.Read(ref _slowBySecond[s]), MaxMilliseconds: Volatile.Read(ref _maxBySecond[s])))
            .Where(s => s.Slow > 0)
            .OrderByDescending(s => s.Slow)
            .Take(count);

    public sealed class Window
    {
        private readonly object _gate = new();
        private readonly List<double> _total = new(1 << 16);
        private readonly List<double> _connect = new(1 << 16);
        // Split by what the sync carried: one that reported or leased waits for the job's group commit, a heartbeat does not.
        private readonly List<double> _heartbeat = new(1 << 16);
        private readonly List<double> _carrying = new(1 << 16);
        private long _accepted;
        private long _leased;
        private readonly long _began = Stopwatch.GetTimestamp();

        public ConcurrentDictionary<string, int> Failures { get; } = new();

        public long ReportsAccepted => Interlocked.Read(ref _accepted);

        /// <summary>Replicas the served syncs leased: fewer than asked for means the volunteers were left without work.</summary>
        public long Leased => Interlocked.Read(ref _leased);

        public int Served
        {
            get
            {
                lock (_gate)
                {
                    return _total.Count;
                }
            }
        }

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_began);

        public void Add(FreshAnswer answer, int accepted, int leased)
        {
            Interlocked.Add(ref _leased, leased);
            lock (_gate)
            {
                _total.Add(answer.TotalMilliseconds);
                _connect.Add(answer.ConnectMilliseconds);
                (accepted > 0 || leased > 0 ? _carrying : _heartbeat).Add(answer.TotalMilliseconds);
            }
            Interlocked.Add(ref _accepted, accepted);
        }

        public double TotalPercentile(double fraction) => Percentile(_total, fraction);

        public double ConnectPercentile(double fraction) => Percentile(_connect, fraction);

        /// <summary>Latency of the syncs that neither reported nor leased (nothing for the job to commit).</summary>
        public double HeartbeatPercentile(double fraction) => Percentile(_heartbeat, fraction);

        /// <summary>Latency of the syncs that reported or leased, whose answer waits for the job's group commit.</summary>
        public double CarryingPercentile(double fraction) => Percentile(_carrying, fraction);

        /// <summary>The served syncs that reported or leased.</summary>
        public int Carrying
        {
            get
            {
                lock (_gate)
                {
                    return _carrying.Count;
                }
            }
        }

        public double TotalMax()
        {
            lock (_gate)
            {
                return _total.Count == 0 ? double.NaN : _total.Max();
            }
        }

        private double Percentile(List<double> values, double fraction)
        {
            double[] sorted;
            lock (_gate)
            {
                sorted = [.. values];
            }
            Array.Sort(sorted);
            return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }
}
