using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>A work unit that has been split out of its job.</summary>
/// <param name="ReplicaCount">Replicas created so far (the next replica number).</param>
/// <param name="Quorum">
/// The agreeing results this unit needs: the job's quorum, or 1 when it went alone to a trusted host (adaptive
/// replication); 0 in a record made before units kept their own, meaning the job's.
/// </param>
public sealed record UnitRecord(
    Guid JobId,
    long UnitIndex,
    string Input,
    UnitState State,
    int ReplicaCount,
    int? CanonicalReplica,
    int Quorum = 0);
