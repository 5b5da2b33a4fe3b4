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
}
