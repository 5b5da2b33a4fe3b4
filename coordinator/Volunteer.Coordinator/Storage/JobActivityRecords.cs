using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>How many of a job's replicas are in one state with one outcome (null before any report).</summary>
public sealed record ReplicaStateCount(ReplicaState State, ReportOutcome? Outcome, long Count);

/// <summary>How many of a job's units were validated in time bucket <paramref name="Bucket"/> (0 is the first after the start).</summary>
public sealed record TimeBucketCount(long Bucket, long Count);

/// <summary>One replica of a unit as it was judged: its state, its report's outcome and its error or refusal, if any.</summary>
public sealed record JudgedReplica(long UnitIndex, int Replica, ReplicaState State, ReportOutcome? Outcome, string? Error);
