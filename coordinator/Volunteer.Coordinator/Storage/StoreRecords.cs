using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>A job as stored: its spec, its split cursor and its assimilation counters.</summary>
/// <param name="UnitsOpened">The split cursor: units 0..UnitsOpened-1 exist as rows; the rest are still lazy.</param>
/// <param name="Accumulated">The reducer's running result (JSON), updated in the same commit as each assimilation.</param>
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
    DateTimeOffset? FinishedAt);

/// <summary>A work unit that has been split out of its job.</summary>
/// <param name="ReplicaCount">Replicas created so far (the next replica number).</param>
public sealed record UnitRecord(
    Guid JobId,
    long UnitIndex,
    string Input,
    UnitState State,
    int ReplicaCount,
    int? CanonicalReplica);

public enum ReplicaState
{
    Unsent,
    Assigned,
    Reported,
    Valid,
    Invalid,
    Inconclusive,
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

/// <summary>A volunteer host. The token is kept only as a hash.</summary>
public sealed record WorkerRecord(
    Guid Id,
    string Name,
    string TokenHash,
    string PublicKey,
    int Cores,
    DateTimeOffset CreatedAt);

/// <summary>A scientist's API key, kept only as a hash.</summary>
public sealed record ApiKeyRecord(string KeyHash, DateTimeOffset CreatedAt);

/// <summary>
/// State changes that must become durable together. Callers hand a batch to the store and are
/// answered only once it is committed; the store may commit many callers' batches in one transaction.
/// </summary>
public sealed class WorkBatch
{
    public List<JobRecord> Jobs { get; } = [];
    public List<UnitRecord> Units { get; } = [];
    public List<ReplicaRecord> Replicas { get; } = [];
    public List<WorkerRecord> Workers { get; } = [];
    public List<ApiKeyRecord> ApiKeys { get; } = [];

    public bool IsEmpty =>
        Jobs.Count == 0 && Units.Count == 0 && Replicas.Count == 0 && Workers.Count == 0 && ApiKeys.Count == 0;
}
