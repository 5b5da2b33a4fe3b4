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

    // Blobs (issue 11): 1100-1119.
    [LoggerMessage(1100, LogLevel.Information, "Blob collection deleted {Count} blobs and unfinished uploads no job needs")]
    public static partial void BlobsCollected(ILogger logger, int count);

    [LoggerMessage(1101, LogLevel.Error, "Blob collection failed; it tries again at its next round")]
    public static partial void BlobCollectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1102, LogLevel.Warning, "Job {JobId}: {Bytes} bytes served by the coordinator could not be counted yet; counted at the next flush")]
    public static partial void RelayFlushFailed(ILogger logger, Exception exception, Guid jobId, long bytes);

    [LoggerMessage(1103, LogLevel.Information, "Job {JobId}: result file {Digest} built ({Size} bytes)")]
    public static partial void ResultFileBuilt(ILogger logger, Guid jobId, string digest, long size);
}
