namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// One activation's hold on a job: the epoch it claimed from the job's row. During a partition Orleans can
/// briefly run two activations of a job's grain; a batch fenced with an epoch commits only while the job's row
/// still has that epoch, so only the activation that claimed last can write, and the other cannot overwrite what
/// it acknowledged.
/// </summary>
public sealed record JobEpoch(Guid JobId, long Epoch)
{
    /// <summary>
    /// The epoch a job's row starts at (the schema's default): the activation that submitted the job holds it
    /// without a claim, until another activation claims the next.
    /// </summary>
    public static JobEpoch Submitted(Guid jobId) => new(jobId, 0);
}
