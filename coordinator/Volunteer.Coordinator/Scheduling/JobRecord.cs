using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>A job: its spec, its split cursor and its assimilation counters.</summary>
/// <param name="UnitsOpened">The split cursor: units 0..UnitsOpened-1 have been split out; the rest are still lazy.</param>
/// <param name="Accumulated">The reducer's running result (JSON), changed in the same batch as each assimilation.</param>
/// <param name="Adaptive">
/// Whether trusted hosts may compute its units alone (adaptive replication); only a job whose quorum is 2 ever does,
/// and its submission may forbid it.
/// </param>
public sealed record JobRecord(
    Guid Id,
    string App,
    string Parameters,
    Redundancy Redundancy,
    int DeadlineSeconds,
    int Priority,
    long UnitCount,
    long UnitsOpened,
    long UnitsAssimilated,
    long UnitsFailed,
    JobState State,
    string Accumulated,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    bool Adaptive = false)
{
    /// <summary>
    /// The unit counts this row alone tells: exact for a job that has ended, when no unit is in play;
    /// a running job's open window has the rest (<see cref="JobWorkbook.CountUnits"/>).
    /// </summary>
    public UnitCounts SettledUnitCounts() => new(UnitCount - UnitsAssimilated - UnitsFailed, 0, 0, UnitsAssimilated, UnitsFailed);
}
