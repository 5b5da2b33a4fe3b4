using Orleans.Concurrency;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>One job: its spec, split cursor, open units, leases, validation and assimilation.</summary>
[Alias("Volunteer.IJobGrain")]
public interface IJobGrain : IGrainWithGuidKey
{
    /// <summary>Records the job durably; returns its status once committed.</summary>
    [Alias("Submit")]
    Task<JobStatus> SubmitAsync(JobSpec spec);

    /// <summary>The job with its unit counts, or null when no such job exists.</summary>
    [Alias("GetStatus")]
    Task<JobStatus?> GetStatusAsync();

    /// <summary>
    /// The job's unit counts and relay figures alone, or null when no such job exists: what the dashboard's overview
    /// reads of every running job each second, without the job's row (a large running result, say) crossing silos.
    /// </summary>
    [Alias("GetProgress")]
    Task<JobProgress?> GetProgressAsync();

    /// <summary>
    /// Everything one worker's sync asks of this job, in one call and one commit: accepts all of its
    /// results (signatures already verified) or refuses them all and changes nothing; names the
    /// replicas it holds that it should stop; and, if the results were accepted, leases up to the
    /// wanted number more, sending again first the leases it lost when it said which replicas it holds.
    /// Called by the host's grain, which keeps the host's limits across jobs.
    /// </summary>
    [Alias("Sync")]
    Task<JobSyncOutcome> SyncAsync(JobSync sync);

    /// <summary>
    /// The host was caught returning a wrong result in another job of this one's app, or flagged: its results accepted
    /// alone here go back to be replicated.
    /// </summary>
    [Alias("Distrust"), OneWay]
    Task DistrustAsync(Guid workerId);

    /// <summary>Adds to the job's relay figures (bytes the coordinator's silos served of its blobs, counted at the API edge).</summary>
    [Alias("CountRelay"), OneWay]
    Task CountRelayAsync(JobRelay figures);

    /// <summary>A result payload this job waits for is now in the blob store (a worker uploaded it): assimilate what waited for it.</summary>
    [Alias("ResultBlobStored"), OneWay]
    Task ResultBlobStoredAsync(string digest);

    /// <summary>
    /// No holder delivered the result payload in <see cref="Settings.VolunteerOptions.ResultPullRounds"/> rounds: the units
    /// waiting for it fail (the job goes on without them).
    /// </summary>
    [Alias("PayloadUnreachable"), OneWay]
    Task PayloadUnreachableAsync(string digest);

    /// <summary>Cancels the job; false if it had already ended.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync();
}
