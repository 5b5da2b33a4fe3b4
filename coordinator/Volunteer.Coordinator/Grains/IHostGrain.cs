using Orleans.Concurrency;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// One volunteer host (keyed by its worker id): runs its syncs one at a time against the jobs, and keeps
/// what must hold across jobs: its in-progress cap and its daily quota.
/// </summary>
[Alias("Volunteer.IHostGrain")]
public interface IHostGrain : IGrainWithGuidKey
{
    /// <summary>
    /// The reports' job first (all accepted or all refused), then the running jobs in dispatch order, each
    /// called at most once, within the host's cap and quota; last, the other jobs it holds replicas of, to
    /// learn which to drop.
    /// </summary>
    [Alias("Sync")]
    Task<HostSyncOutcome> SyncAsync(HostSync sync);

    /// <summary>
    /// How a job judged the host's replicas (its quota halves per failure and doubles per valid result; its record
    /// with the app decides its trust) and how many of the job's replicas it holds now.
    /// </summary>
    [Alias("Record"), OneWay, AlwaysInterleave]
    Task RecordAsync(JobTally tally);

    [Alias("GetLimits"), AlwaysInterleave]
    Task<HostLimits> GetLimitsAsync();
}
