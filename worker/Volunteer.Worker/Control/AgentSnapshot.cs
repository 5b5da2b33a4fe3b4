using Volunteer.Worker.Governor;
using Volunteer.Worker.Storage;
using Volunteer.Protocol;

namespace Volunteer.Worker.Control;

/// <summary>
/// What the running agent is doing, as `status` and the terminal's live view show it: asked of the agent over its
/// control socket, never read from files while it runs.
/// </summary>
/// <param name="Version">The running agent's version.</param>
/// <param name="PausedBecause">Why units do not compute now (owner's pause, outside a window, in use, on battery);
/// empty while they do.</param>
/// <param name="Throttled">Whether a CPU percentage below 100 holds the computing threads back.</param>
public sealed record AgentSnapshot(
    string Version,
    int ProcessId,
    DateTimeOffset At,
    string StateDirectory,
    ComputeLimits Limits,
    IReadOnlyList<string> PausedBecause,
    bool Throttled,
    IReadOnlyList<ProjectSnapshot> Projects,
    IReadOnlyList<UnitSnapshot> Units);

/// <summary>One project the agent is attached to.</summary>
/// <param name="Name">Its folder under projects/ in the state directory.</param>
/// <param name="ResourceShare">Its share of the machine against the other projects' (BOINC's resource share).</param>
/// <param name="Buffered">Units leased and waiting for a slot.</param>
/// <param name="Credit">Credit this host earned with it, as its last sync said.</param>
/// <param name="LatestAgent">A newer agent the project announces than this one; null when this one is current.</param>
public sealed record ProjectSnapshot(
    string Name,
    IReadOnlyList<Uri> Coordinators,
    Guid WorkerId,
    Guid? AccountId,
    int ResourceShare,
    SyncSummary? LastSync,
    int PendingReports,
    int Buffered,
    double? Credit,
    AgentRelease? LatestAgent,
    PeerStatus? Peer);

/// <summary>A unit the agent holds: computing, held by a pause, or waiting for a slot.</summary>
/// <param name="ResumedFrom">The fraction its checkpoint stood at when this run of it started from one; null when it
/// started from the beginning.</param>
/// <param name="Remaining">Its estimated time to finish, from its progress so far; null before any.</param>
/// <param name="CpuSeconds">CPU time its computing thread used in this run.</param>
/// <param name="ThreadId">The operating system's id of its computing thread (Linux: under /proc/PID/task), when known.</param>
/// <param name="CheckpointFraction">The fraction its last checkpoint on disk stands at; null when it has none.</param>
public sealed record UnitSnapshot(
    string Project,
    Guid JobId,
    long UnitIndex,
    int Replica,
    string App,
    UnitPhase Phase,
    double FractionDone,
    double? ResumedFrom,
    TimeSpan Elapsed,
    TimeSpan? Remaining,
    double CpuSeconds,
    int? ThreadId,
    DateTimeOffset? LastCheckpointAt,
    double? CheckpointFraction);

public enum UnitPhase
{
    /// <summary>Leased, waiting for a slot (the work buffer).</summary>
    Waiting,

    /// <summary>Computing.</summary>
    Running,

    /// <summary>Started, held in memory by a pause.</summary>
    Paused,
}
