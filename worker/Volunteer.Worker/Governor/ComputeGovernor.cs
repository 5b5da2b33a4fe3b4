using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Volunteer.Protocol;
using Volunteer.Worker.Governor.Machine;

namespace Volunteer.Worker.Governor;

/// <summary>
/// Decides whether units may compute now and holds them back when not: the owner's pause, the compute windows, the
/// machine being in use, the battery, and the CPU throttle. One per agent process, shared by every project.
/// </summary>
/// <remarks>
/// Units run in the agent's process, so holding one back is cooperative, as BOINC's API library does it inside the
/// app: the unit's thread passes its <see cref="UnitGate"/> whenever the app reports progress, and the gate blocks
/// there while paused and sleeps there to hold the throttle. The conditions are looked at again every
/// <see cref="RecheckInterval"/> on the governor's clock, and at once on <see cref="Recheck"/>.
/// </remarks>
public sealed class ComputeGovernor : IDisposable
{
    /// <summary>How often the conditions are looked at: a condition that clears resumes the units within this.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _timeProvider;
    private readonly IMachineProbe _machine;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    // Evaluations one at a time: the probes keep samples, and each change of the reasons is logged once.
    private readonly Lock _evaluation = new();
    private volatile ComputeLimits _limits;
    private volatile ComputeWindows _windows;
    private volatile IReadOnlyList<string> _pausedBecause = [];
    private DateTimeOffset? _pausedByOwnerUntil;
    private bool _pausedByOwner;
    private TaskCompletionSource _mayCompute = NewSignal(completed: true);

    /// <summary>A governor that reads the machine it runs on.</summary>
    public ComputeGovernor(ComputeLimits limits, TimeProvider timeProvider)
        : this(limits, timeProvider, MachineProbe.ForThisPlatform(timeProvider))
    {
    }

    /// <summary>A governor that learns of the machine from <paramref name="machine"/>; local time is the clock's <see cref="TimeProvider.LocalTimeZone"/>.</summary>
    /// <exception cref="FormatException">The limits' compute windows are not valid.</exception>
    public ComputeGovernor(ComputeLimits limits, TimeProvider timeProvider, IMachineProbe machine, ILogger? logger = null)
    {
        _limits = limits;
        _windows = limits.Windows();
        _timeProvider = timeProvider;
        _machine = machine;
        _logger = logger ?? NullLogger.Instance;
        Recheck();
        _timer = timeProvider.CreateTimer(_ => RecheckOnTimer(), null, RecheckInterval, RecheckInterval);
    }

    public ComputeLimits Limits => _limits;

    /// <summary>Puts new limits in force at once, for running units too (a new CPU share at each unit's next pass).</summary>
    /// <exception cref="FormatException">The limits' compute windows are not valid; the limits in force stay.</exception>
    public void Apply(ComputeLimits limits)
    {
        var windows = limits.Windows();
        lock (_evaluation)
        {
            (_limits, _windows) = (limits, windows);
        }
        Recheck();
    }

    /// <summary>Why units may not compute now, as of the last look at the conditions; empty when they may.</summary>
    public IReadOnlyList<string> PausedBecause => _pausedBecause;

    public bool Throttled => _limits.CpuPercent < 100;

    /// <summary>Pauses every unit until <see cref="ResumeByOwner"/>, or for <paramref name="duration"/> when given.</summary>
    public void PauseByOwner(TimeSpan? duration)
    {
        lock (_gate)
        {
            _pausedByOwner = true;
            _pausedByOwnerUntil = duration is { } d ? _timeProvider.GetUtcNow() + d : null;
        }
        Recheck();
    }

    public void ResumeByOwner()
    {
        lock (_gate)
        {
            _pausedByOwner = false;
            _pausedByOwnerUntil = null;
        }
        Recheck();
    }

    /// <summary>
    /// Completes when units may compute (at once when they may now). Asks nothing of the machine: what the last look at
    /// the conditions found holds, so that starting many short units costs nothing.
    /// </summary>
    public Task WaitUntilMayComputeAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _mayCompute.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The gate a unit's thread passes as it computes.</summary>
    public UnitGate Admit(ReplicaRef unit) => new(this, unit, _timeProvider);

    /// <summary>
    /// Why a unit whose app says it needs <paramref name="unitMemoryBytes"/> of memory may not run here; null when it
    /// may (no need declared, or no limit, or within it). Asked before the unit starts: a refused unit is not started.
    /// </summary>
    public string? Refuses(long? unitMemoryBytes)
    {
        var limit = _limits.MemoryPerUnitBytes;
        return unitMemoryBytes is { } need && limit > 0 && need > limit
            ? $"the unit needs {Mebibytes(need)} of memory, above the owner's limit of {Mebibytes(limit)} per unit"
            : null;
    }

    /// <summary>
    /// The most the blob cache may take: its own setting (<paramref name="cacheBytes"/>), within what
    /// <see cref="ComputeLimits.DiskBytes"/> leaves after the rest of the agent's state (<paramref name="otherStateBytes"/>:
    /// leases, reports, checkpoints, relay bundles). Never below zero; the cache's setting alone when there is no disk limit.
    /// </summary>
    public long CacheBudget(long cacheBytes, long otherStateBytes)
    {
        var disk = _limits.DiskBytes;
        return disk > 0 ? Math.Clamp(disk - otherStateBytes, 0, cacheBytes) : cacheBytes;
    }

    /// <summary>Looks at the conditions now, and wakes or holds the units accordingly.</summary>
    public void Recheck()
    {
        lock (_evaluation)
        {
            var before = _pausedBecause;
            var now = Evaluate();
            _pausedBecause = now;
            lock (_gate)
            {
                if (now.Count > 0 && _mayCompute.Task.IsCompleted)
                {
                    _mayCompute = NewSignal(completed: false);
                }
                else if (now.Count == 0)
                {
                    _mayCompute.TrySetResult();
                }
            }
            if (now.Count == 0 && before.Count > 0)
            {
                GovernorLog.Resumed(_logger, string.Join("; ", before));
            }
            else if (now.Count > 0 && !now.SequenceEqual(before))
            {
                GovernorLog.Paused(_logger, string.Join("; ", now));
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    internal void WaitWhilePaused(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            wait = _mayCompute.Task;
        }
        wait.Wait(cancellationToken);
    }

    private List<string> Evaluate()
    {
        var limits = _limits;
        List<string> reasons = [];
        lock (_gate)
        {
            if (_pausedByOwner && _pausedByOwnerUntil is { } until && until <= _timeProvider.GetUtcNow())
            {
                (_pausedByOwner, _pausedByOwnerUntil) = (false, null);
            }
            if (_pausedByOwner)
            {
                reasons.Add(_pausedByOwnerUntil is { } end
                    ? $"paused by the owner until {TimeZoneInfo.ConvertTime(end, _timeProvider.LocalTimeZone).ToString("HH:mm", CultureInfo.InvariantCulture)}"
                    : "paused by the owner");
            }
        }
        var local = _timeProvider.GetLocalNow().DateTime;
        if (!_windows.IsOpen(local))
        {
            reasons.Add($"outside the compute windows (next {ComputeWindows.Describe(_windows.NextOpening(local)!.Value, local)})");
        }
        if (limits.PauseWhenInUse && InUse(limits) is { } inUse)
        {
            reasons.Add(inUse);
        }
        if (limits.PauseOnBattery && _machine.OnBattery() == true)
        {
            reasons.Add("on battery");
        }
        return reasons;
    }

    /// <summary>Keyboard and mouse where the platform tells of them; other programs' CPU load where it does not.</summary>
    private string? InUse(ComputeLimits limits)
    {
        if (_machine.InputIdle() is { } idle)
        {
            return idle < TimeSpan.FromMinutes(limits.IdleMinutes)
                ? $"the machine is in use (input {(int)idle.TotalMinutes}:{idle.Seconds:00} ago)"
                : null;
        }
        return _machine.OtherCpuLoad() is { } load && load > limits.InUseCpuPercent
            ? $"the machine is in use (other programs take {load.ToString("0", CultureInfo.InvariantCulture)}% of the CPU)"
            : null;
    }

    private void RecheckOnTimer()
    {
        try
        {
            Recheck();
        }
        catch (Exception ex)
        {
            // A timer callback that throws would end the process; the units stay as they were until the next look.
            GovernorLog.RecheckFailed(_logger, ex);
        }
    }

    private static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB");

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            signal.SetResult();
        }
        return signal;
    }
}
