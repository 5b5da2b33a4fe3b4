using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>A replica leased to a worker: compute <paramref name="Input"/> and report before <paramref name="Deadline"/>.</summary>
/// <param name="Input">The unit's input, the app's own JSON.</param>
public sealed record ReplicaLease(Guid JobId, long UnitIndex, int Replica, string Input, DateTimeOffset Deadline)
{
    public ReplicaRef Ref => new(JobId, UnitIndex, Replica);
}
