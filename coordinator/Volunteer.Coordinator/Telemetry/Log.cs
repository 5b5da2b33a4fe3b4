using Volunteer.Protocol;

namespace Volunteer.Coordinator.Telemetry;

/// <summary>The coordinator's log messages, source-generated; event ids 1000-1999.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Job {JobId} submitted: app {App}, {UnitCount} units")]
    public static partial void JobSubmitted(ILogger logger, Guid jobId, string app, long unitCount);

    [LoggerMessage(1002, LogLevel.Information, "Job {JobId} ended {State} {Reason}")]
    public static partial void JobEnded(ILogger logger, Guid jobId, JobState state, string? reason);

    [LoggerMessage(1003, LogLevel.Information, "Job {JobId}: {Count} leases expired and were reissued")]
    public static partial void LeasesExpired(ILogger logger, Guid jobId, int count);

    [LoggerMessage(1004, LogLevel.Error, "Job {JobId}: commit failed; the grain reloads from the store")]
    public static partial void CommitFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(1005, LogLevel.Warning, "Job {JobId}: another activation of the job's grain claimed it after epoch {Epoch}; this one's commit was refused and it deactivates")]
    public static partial void EpochSuperseded(ILogger logger, Guid jobId, long epoch);

    [LoggerMessage(1006, LogLevel.Warning, "Host {WorkerId} flagged: {ValidLastHour} valid results of {App} in an hour, more than its cores could compute (about {Capacity:0.#})")]
    public static partial void HostFlagged(ILogger logger, Guid workerId, string app, long validLastHour, double capacity);

    // The peer index: event ids 1100-1149.

    [LoggerMessage(1100, LogLevel.Information, "Host {WorkerId} listed as a peer at {Endpoint}, holding {Holdings} blobs: the coordinator reached it")]
    public static partial void PeerListed(ILogger logger, Guid workerId, string endpoint, int holdings);

    [LoggerMessage(1101, LogLevel.Debug, "Host {WorkerId} not listed as a peer: its endpoint {Endpoint} did not answer as it (NAT, a firewall, or the wrong port)")]
    public static partial void PeerNotReached(ILogger logger, Guid workerId, string endpoint);

    [LoggerMessage(1102, LogLevel.Debug, "Host {WorkerId}: the connect-back to {Endpoint} could not report back to its grain")]
    public static partial void PeerProbeLost(ILogger logger, Exception exception, Guid workerId, string endpoint);

    [LoggerMessage(1103, LogLevel.Warning, "Host {WorkerId} unlisted for good: hosts of {Accounts} accounts caught it serving chunks that failed their digest")]
    public static partial void PeerUnlisted(ILogger logger, Guid workerId, int accounts);

    [LoggerMessage(1104, LogLevel.Error, "Job {JobId} reads blob {Digest}, which the blob store does not have: its assignments go out without it")]
    public static partial void InputBlobMissing(ILogger logger, Guid jobId, string digest);

    [LoggerMessage(1105, LogLevel.Warning, "Worker {CarrierId}: the reports it relays for worker {OriginId} could not be applied now; they stay with it for a later sync")]
    public static partial void RelayFailed(ILogger logger, Exception exception, Guid carrierId, Guid originId);
    // Blobs (issue 11): 1100-1119.
    [LoggerMessage(1200, LogLevel.Information, "Blob collection deleted {Count} blobs and unfinished uploads no job needs")]
    public static partial void BlobsCollected(ILogger logger, int count);

    [LoggerMessage(1201, LogLevel.Error, "Blob collection failed; it tries again at its next round")]
    public static partial void BlobCollectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1202, LogLevel.Warning, "Job {JobId}: {Bytes} bytes served by the coordinator could not be counted yet; counted at the next flush")]
    public static partial void RelayFlushFailed(ILogger logger, Exception exception, Guid jobId, long bytes);

    [LoggerMessage(1203, LogLevel.Information, "Job {JobId}: result file {Digest} built ({Size} bytes)")]
    public static partial void ResultFileBuilt(ILogger logger, Guid jobId, string digest, long size);
    // Results at the edge: event ids 1160-1179.
    [LoggerMessage(1160, LogLevel.Information, "Job {JobId}: result payload {Digest} pulled from host {WorkerId}'s peer endpoint")]
    public static partial void ResultPulled(ILogger logger, Guid jobId, string digest, Guid workerId);

    [LoggerMessage(1161, LogLevel.Warning, "Job {JobId}: result payload {Digest} could not be pulled from host {WorkerId}: {Reason}")]
    public static partial void ResultPullFailed(ILogger logger, Guid jobId, string digest, Guid workerId, string reason);

    [LoggerMessage(1162, LogLevel.Information, "Job {JobId}: host {WorkerId} asked to upload result payload {Digest}")]
    public static partial void ResultUploadRequested(ILogger logger, Guid jobId, string digest, Guid workerId);

    [LoggerMessage(1163, LogLevel.Warning, "Job {JobId}: the pull of result payload {Digest} ended before its job was told; the job's grain pulls it again at its next lease sweep")]
    public static partial void ResultPullAbandoned(ILogger logger, Exception exception, Guid jobId, string digest);

    [LoggerMessage(1164, LogLevel.Information, "Job {JobId}: result payload {Digest} delivered to {Units} unit(s) waiting for it")]
    public static partial void ResultDelivered(ILogger logger, Guid jobId, string digest, int units);

    [LoggerMessage(1165, LogLevel.Warning, "Host {WorkerId} uploaded a result blob that is not {Digest} (its digest or size differ); nothing was kept")]
    public static partial void ResultUploadRefused(ILogger logger, Guid workerId, string digest);

    [LoggerMessage(1166, LogLevel.Warning, "Job {JobId}: no holder delivered result payload {Digest} in all the rounds allowed; the {Units} unit(s) waiting for it fail")]
    public static partial void ResultGivenUp(ILogger logger, Guid jobId, string digest, int units);
}
