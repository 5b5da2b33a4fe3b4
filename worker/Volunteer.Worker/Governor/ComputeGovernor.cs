using Volunteer.Protocol;

namespace Volunteer.Worker.Governor;

/// <summary>
/// Decides whether units may compute now and holds them back when not: the owner's pause, and (to come) compute
/// windows, the machine being in use, battery, and the CPU throttle. One per agent process, shared by every project.
/// </summary>
/// <remarks>
/// Units run in the agent's process, so holding one back is cooperative, as BOINC's API library does it inside the
/// app: the unit's thread passes its <see cref="UnitGate"/> whenever the app reports progress, and the gate blocks
/// there while paused and sleeps there to hold the throttle.
/// </remarks>
public sealed class ComputeGovernor(ComputeLimits limits, TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private volatile ComputeLimits _limits = limits;
    private DateTimeOffset? _pausedByOwnerUntil;
    private bool _pausedByOwner;
    private TaskCompletionSource _mayCompute = NewSignal(completed: true);

    public ComputeLimits Limits => _limits;

    /// <summary>Puts new limits in force at once, for running units too.</summary>
    public void Apply(ComputeLimits limits)
    {
        _limits = limits;
        Recheck();
    }

    /// <summary>Why units may not compute now; empty when they may.</summary>
    public IReadOnlyList<string> PausedBecause
    {
        get
        {
            lock (_gate)
            {
                List<string> reasons = [];
                if (_pausedByOwner && (_pausedByOwnerUntil is null || _pausedByOwnerUntil > timeProvider.GetUtcNow()))
                {
                    reasons.Add(_pausedByOwnerUntil is { } until ? $"paused by the owner until {until.ToLocalTime():HH:mm}" : "paused by the owner");
                }
                return reasons;
            }
        }
    }

    public bool Throttled => _limits.CpuPercent < 100;

    public void PauseByOwner(TimeSpan? duration)
    {
        lock (_gate)
        {
            _pausedByOwner = true;
            _pausedByOwnerUntil = duration is { } d ? timeProvider.GetUtcNow() + d : null;
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

    /// <summary>Completes when units may compute (at once when they may now).</summary>
    public Task WaitUntilMayComputeAsync(CancellationToken cancellationToken)
    {
        Recheck();
        lock (_gate)
        {
            return _mayCompute.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The gate a unit's thread passes as it computes.</summary>
    public UnitGate Admit(ReplicaRef unit) => new(this, unit);

    /// <summary>Re-evaluates the conditions and wakes or holds the units accordingly.</summary>
    public void Recheck()
    {
        var paused = PausedBecause.Count > 0;
        lock (_gate)
        {
            if (paused && _mayCompute.Task.IsCompleted)
            {
                _mayCompute = NewSignal(completed: false);
            }
            else if (!paused)
            {
                _mayCompute.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            signal.SetResult();
        }
        return signal;
    }

    internal void WaitWhilePaused(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            wait = _mayCompute.Task;
        }
        if (!wait.IsCompleted)
        {
            wait.Wait(cancellationToken);
        }
    }
}

/// <summary>
/// One unit's passage through the governor: its computing thread calls <see cref="Pass"/> as it goes (the agent does
/// so whenever the app reports progress), and blocks there while units are paused.
/// </summary>
public sealed class UnitGate(ComputeGovernor governor, ReplicaRef unit) : IDisposable
{
    public ReplicaRef Unit { get; } = unit;

    /// <summary>Whether the unit is held by a pause right now.</summary>
    public bool Paused { get; private set; }

    /// <summary>CPU time its computing thread used since it was admitted.</summary>
    public double CpuSeconds { get; private set; }

    /// <summary>The operating system's id of the thread that last passed, when known.</summary>
    public int? ThreadId { get; private set; }

    /// <summary>Blocks while units are paused; throws OperationCanceledException when the unit is stopped meanwhile.</summary>
    public void Pass(CancellationToken cancellationToken)
    {
        Paused = true;
        try
        {
            governor.WaitWhilePaused(cancellationToken);
        }
        finally
        {
            Paused = false;
        }
    }

    public void Dispose()
    {
    }
}
