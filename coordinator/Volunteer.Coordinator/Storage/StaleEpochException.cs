using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>
/// A batch was fenced with an epoch its job's row no longer has: a later activation of the job's grain claimed the
/// job, so nothing of the batch was written. The stale activation steps down; its caller may retry, which reaches
/// the current one. Crosses silos with the grain call that failed, hence serializable.
/// </summary>
[GenerateSerializer, Alias("Volunteer.StaleEpochException")]
public sealed class StaleEpochException : Exception
{
    public StaleEpochException(JobEpoch stale)
        : base($"Job {stale.JobId}: epoch {stale.Epoch} is stale, a later activation of the job's grain has claimed it; nothing of the batch was written.")
    {
        JobId = stale.JobId;
        Epoch = stale.Epoch;
    }

    [Id(0)]
    public Guid JobId { get; }

    [Id(1)]
    public long Epoch { get; }
}
