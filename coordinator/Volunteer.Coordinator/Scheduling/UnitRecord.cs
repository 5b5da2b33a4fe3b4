using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>A work unit that has been split out of its job.</summary>
/// <param name="ReplicaCount">Replicas created so far (the next replica number).</param>
public sealed record UnitRecord(
    Guid JobId,
    long UnitIndex,
    string Input,
    UnitState State,
    int ReplicaCount,
    int? CanonicalReplica);
