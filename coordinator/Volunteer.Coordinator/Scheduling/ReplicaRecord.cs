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
/// <param name="Error">An error report's message, or why the result was judged invalid.</param>
/// <param name="AccountId">The account of the worker it was issued to: no other replica of the unit goes to that account.</param>
/// <param name="Network">The network the worker synced from when it was issued: no other replica of the unit goes there.</param>
/// <param name="Fuel">The fuel a successful report of a WebAssembly app's unit says it burned (within the app's limit); null otherwise.</param>
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
    string? Error,
    Guid? AccountId = null,
    string? Network = null,
    long? Fuel = null)
{
    public ReplicaRef Ref => new(JobId, UnitIndex, Replica);

    public bool IsActive => State is ReplicaState.Unsent or ReplicaState.Assigned;

    public bool IsUnvalidatedSuccess => State == ReplicaState.Reported && Outcome == ReportOutcome.Success;

    public bool IsError => Outcome == ReportOutcome.Error;
}
