using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

public enum ReplicaState
{
    Unsent,
    Assigned,
    Reported,
    Valid,
    Invalid,
    TimedOut,
    Cancelled,
}

/// <summary>One copy of a unit (BOINC's "result"), issued to at most one worker.</summary>
public sealed record ReplicaRecord(
    Guid JobId,
    long UnitIndex,
    int Replica,
    ReplicaState State,
    Guid? WorkerId,
    DateTimeOffset? IssuedAt,
    DateTimeOffset? Deadline,
    DateTimeOffset? ReportedAt,
    ReportOutcome? Outcome,
    string? Digest,
    long Size,
    byte[]? Payload,
    string? Error)
{
    public ReplicaRef Ref => new(JobId, UnitIndex, Replica);

    public bool IsActive => State is ReplicaState.Unsent or ReplicaState.Assigned;

    public bool IsUnvalidatedSuccess => State == ReplicaState.Reported && Outcome == ReportOutcome.Success;

    public bool IsError => Outcome == ReportOutcome.Error;
}
