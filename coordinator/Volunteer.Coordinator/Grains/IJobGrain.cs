using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>One job: its spec, split cursor, open units, leases, validation and assimilation.</summary>
[Alias("Volunteer.IJobGrain")]
public interface IJobGrain : IGrainWithGuidKey
{
    /// <summary>Records the job durably; returns its view once committed.</summary>
    [Alias("Submit")]
    Task<JobView> SubmitAsync(JobSpec spec);

    /// <summary>The job's view, or null when no such job exists.</summary>
    [Alias("GetView")]
    Task<JobView?> GetViewAsync();

    /// <summary>
    /// One worker's sync with this job, in one call and one commit: accepts all of its reports
    /// (signatures already verified) or refuses them all and changes nothing; names the replicas it
    /// holds that it should stop; and, if the reports were accepted, leases up to the wanted number
    /// more, sending again first the leases it lost when it said which replicas it holds.
    /// </summary>
    [Alias("Sync")]
    Task<JobSyncOutcome> SyncAsync(Guid workerId, JobSync sync);

    /// <summary>Which of these reports would be refused, without changing anything.</summary>
    [Alias("Judge")]
    Task<IReadOnlyList<RefusedReport>> JudgeReportsAsync(Guid workerId, IReadOnlyList<ReplicaRef> reports);

    /// <summary>Cancels the job; false if it had already ended.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync();
}
