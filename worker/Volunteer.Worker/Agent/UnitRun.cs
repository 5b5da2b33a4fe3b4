using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Agent;

/// <summary>
/// One run of a unit as the agent shows it: how far along it is, where this run started from, and its latest checkpoint.
/// The unit's runner writes it as the app reports; the status file and the agent's snapshot read it from any thread.
/// </summary>
public sealed class UnitRun
{
    private readonly Lock _gate = new();
    private double _fractionDone;
    private double? _resumedFrom;
    private UnitGate? _unitGate;
    private double? _firstProgress;
    private double? _checkpointFraction;
    private DateTimeOffset? _lastCheckpointAt;

    /// <summary>The fraction of the unit the checkpoint this run resumed from stands for; null when it started from scratch.</summary>
    public double? ResumedFrom
    {
        get
        {
            lock (_gate)
            {
                return _resumedFrom;
            }
        }
    }

    /// <summary>
    /// The unit's passage through the governor once it computes (null before): whether a pause holds it, its computing
    /// thread's CPU time and id.
    /// </summary>
    public UnitGate? Gate
    {
        get => Volatile.Read(ref _unitGate);
        internal set => Volatile.Write(ref _unitGate, value);
    }

    /// <summary>The fraction done (0..1) the app reported last; 0 before it reports.</summary>
    public double FractionDone => Volatile.Read(ref _fractionDone);

    /// <summary>
    /// The first fraction the app reported in this run; null before it reports. At or above <see cref="ResumedFrom"/>
    /// when the app resumed from its checkpoint rather than starting over.
    /// </summary>
    public double? FirstProgress
    {
        get
        {
            lock (_gate)
            {
                return _firstProgress;
            }
        }
    }

    /// <summary>The fraction the unit's latest checkpoint stands for (saved in this run, or the one it resumed from).</summary>
    public double? CheckpointFraction
    {
        get
        {
            lock (_gate)
            {
                return _checkpointFraction;
            }
        }
    }

    /// <summary>When the unit's latest checkpoint was written.</summary>
    public DateTimeOffset? LastCheckpointAt
    {
        get
        {
            lock (_gate)
            {
                return _lastCheckpointAt;
            }
        }
    }

    internal void Resumed(double fractionDone, DateTimeOffset writtenAt)
    {
        lock (_gate)
        {
            _resumedFrom = fractionDone;
            _checkpointFraction = fractionDone;
            _lastCheckpointAt = writtenAt;
        }
    }

    internal void Progressed(double fractionDone)
    {
        if (_firstProgress is null)
        {
            lock (_gate)
            {
                _firstProgress ??= fractionDone;
            }
        }
        Volatile.Write(ref _fractionDone, fractionDone);
    }

    internal void Checkpointed(double fractionDone, DateTimeOffset writtenAt)
    {
        lock (_gate)
        {
            _checkpointFraction = fractionDone;
            _lastCheckpointAt = writtenAt;
        }
    }
}
