using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>The reads of the dashboard's job pages: each one page or one aggregate, never a job's whole list of units.</summary>
public partial interface IWorkStore
{
    /// <summary>
    /// The page of at most <paramref name="limit"/> jobs just before the job <paramref name="before"/> in the order of
    /// <see cref="ListJobsAsync"/> (newest first, ties by id), in that order, optionally only those in <paramref name="state"/>:
    /// the page a reader goes back to.
    /// </summary>
    Task<IReadOnlyList<JobRecord>> ListJobsBeforeAsync(JobState? state, int limit, JobRecord before, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job's validated units (valid or assimilated) counted by when their canonical replica was reported, in buckets of
    /// <paramref name="bucket"/> from <paramref name="start"/>; only buckets with units, in order.
    /// </summary>
    Task<IReadOnlyList<TimeBucketCount>> CountValidatedUnitsOverTimeAsync(
        Guid jobId, DateTimeOffset start, TimeSpan bucket, CancellationToken cancellationToken = default);

    /// <summary>The job's replicas counted by state and outcome.</summary>
    Task<IReadOnlyList<ReplicaStateCount>> CountReplicasAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The replicas, as judged, of the page of units <see cref="ListUnitsAsync"/> returns for the same arguments, in unit
    /// and replica order.
    /// </summary>
    Task<IReadOnlyList<JudgedReplica>> ListJudgedReplicasAsync(
        Guid jobId, UnitState state, long afterIndex, int limit, CancellationToken cancellationToken = default);
}
