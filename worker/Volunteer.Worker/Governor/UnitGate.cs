using Volunteer.Protocol;

namespace Volunteer.Worker.Governor;

/// <summary>
/// One unit's passage through the governor: its computing thread calls <see cref="Pass"/> as it goes (the agent does
/// so whenever the app reports progress), and blocks there while units are paused, and sleeps there to keep the
/// thread's CPU time within <see cref="ComputeLimits.CpuPercent"/> of wall time.
/// </summary>
/// <remarks>
/// The throttle is a token bucket: credit accrues at CpuPercent of the wall time, up to <see cref="BurstCredit"/>, and
/// the thread's CPU time spends it; a pass that finds it negative sleeps until it is back at zero. Between two passes
/// the thread computes unchecked, so it holds the share on average whatever the app's reporting interval: the
/// overdraft of one interval is slept off at the next pass, and the cap keeps idle time (a pause, a slow fetch) from
/// buying a long burst at full speed.
/// </remarks>
public sealed class UnitGate : IDisposable
{
    /// <summary>The most CPU time a unit may bank ahead of its share.</summary>
    public static readonly TimeSpan BurstCredit = TimeSpan.FromMilliseconds(100);

    private readonly ComputeGovernor _governor;
    private readonly TimeProvider _timeProvider;
    private int _managedThread = -1;
    private int _osThread;
    private long _cpuTicks;
    private long _lastWall;
    private TimeSpan? _lastCpu;
    private TimeSpan _credit;
    private volatile bool _paused;

    internal UnitGate(ComputeGovernor governor, ReplicaRef unit, TimeProvider timeProvider)
    {
        _governor = governor;
        _timeProvider = timeProvider;
        Unit = unit;
        // Admitted on the thread that goes on to compute the unit, as a rule: its computing counts from here, not only
        // from the app's first progress report.
        Count(idleSinceLastPass: true);
    }

    public ReplicaRef Unit { get; }

    /// <summary>Whether the unit is held by a pause right now.</summary>
    public bool Paused => _paused;

    /// <summary>CPU time its computing thread used since it was admitted (counted at each pass).</summary>
    public double CpuSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _cpuTicks)).TotalSeconds;

    /// <summary>The operating system's id of the thread that last passed, where there is one (Linux: its TID).</summary>
    public int? ThreadId => Volatile.Read(ref _osThread) is var id && id != 0 ? id : null;

    /// <summary>
    /// Blocks while units are paused, then sleeps as long as the throttle asks; throws OperationCanceledException at
    /// once when the unit is stopped meanwhile.
    /// </summary>
    public void Pass(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Count(idleSinceLastPass: false);
        if (_governor.PausedBecause.Count > 0)
        {
            _paused = true;
            try
            {
                _governor.WaitWhilePaused(cancellationToken);
            }
            finally
            {
                _paused = false;
            }
            Count(idleSinceLastPass: true);
        }
        var share = _governor.Limits.CpuPercent / 100.0;
        if (share < 1 && _credit < TimeSpan.Zero)
        {
            Task.Delay(-_credit / share, _timeProvider, cancellationToken).GetAwaiter().GetResult();
            Count(idleSinceLastPass: true);
        }
    }

    public void Dispose()
    {
        // Nothing to release: the gate holds no handle. It is disposable so that the agent's use of it reads as a scope.
    }

    /// <summary>
    /// Counts the CPU time the thread used since the last count and the credit the wall time since then earned. Where
    /// the thread's CPU clock is unknown, time outside the gate counts as computing and time inside it as idle.
    /// </summary>
    private void Count(bool idleSinceLastPass)
    {
        var thread = Environment.CurrentManagedThreadId;
        var cpu = ThreadCpuClock.Now();
        var now = _timeProvider.GetTimestamp();
        if (thread != _managedThread)
        {
            // First pass, or the unit moved to another thread (an app that awaits): the new thread's clock starts here.
            _managedThread = thread;
            Volatile.Write(ref _osThread, ThreadCpuClock.OsThreadId() ?? 0);
        }
        else
        {
            var wall = _timeProvider.GetElapsedTime(_lastWall, now);
            var used = cpu is { } c && _lastCpu is { } last ? c - last
                : idleSinceLastPass ? TimeSpan.Zero
                : wall;
            Interlocked.Add(ref _cpuTicks, used.Ticks);
            var earned = wall * (_governor.Limits.CpuPercent / 100.0);
            _credit = Min(BurstCredit, _credit + earned - used);
        }
        (_lastWall, _lastCpu) = (now, cpu);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
