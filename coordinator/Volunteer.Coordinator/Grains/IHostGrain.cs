using Orleans.Concurrency;

namespace Volunteer.Coordinator.Grains;

/// <summary>
/// One volunteer host (keyed by its worker id): runs its syncs one at a time against the jobs, and keeps
/// what must hold across jobs: its in-progress cap and its daily quota; and, as the peer index, its endpoint and holdings.
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

    /// <summary>The host's peer endpoint if the coordinator has reached it and lists it; null otherwise (NAT, --no-serve, unlisted).</summary>
    [Alias("GetListedEndpoint"), AlwaysInterleave]
    Task<string?> GetListedEndpointAsync();

    /// <summary>Asks the host, in its next sync's answer, to upload this result blob (it holds it and cannot be pulled from).</summary>
    [Alias("RequestUpload"), AlwaysInterleave]
    Task RequestUploadAsync(string digest);

    /// <summary>Whether the host was asked to upload this blob and has not yet: only then does the coordinator take the upload.</summary>
    [Alias("IsUploadRequested"), AlwaysInterleave]
    Task<bool> IsUploadRequestedAsync(string digest);

    /// <summary>Tells the host, in its next sync's answer, that the coordinator has these result blobs: it may drop its copies.</summary>
    [Alias("Release"), OneWay, AlwaysInterleave]
    Task ReleaseAsync(IReadOnlyList<string> digests);

    /// <summary>How the connect-back to the host's endpoint went (the grain's own probe answering, off its turn).</summary>
    [Alias("Probed")]
    Task ProbedAsync(string endpoint, bool reached);

    /// <summary>
    /// A host of account <paramref name="accuserAccountId"/> fetched a chunk from this one that failed its digest. Once hosts
    /// of <c>BadChunkReportsToUnlist</c> accounts have, it is unlisted for good and trusted for no app. Its own word is ignored.
    /// </summary>
    [Alias("Accuse")]
    Task AccuseAsync(Guid accuserId, Guid accuserAccountId);
}
