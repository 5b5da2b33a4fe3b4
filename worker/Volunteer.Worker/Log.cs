using Volunteer.Protocol;

namespace Volunteer.Worker;

internal static partial class Log
{
    [LoggerMessage(2001, LogLevel.Information, "Worker {WorkerId} running {Slots} slots against {Coordinators}")]
    public static partial void Started(ILogger logger, Guid workerId, int slots, string coordinators);

    [LoggerMessage(2002, LogLevel.Information, "Stopped; {Running} units left to resume")]
    public static partial void Stopped(ILogger logger, int running);

    [LoggerMessage(2003, LogLevel.Information, "Unit started job={JobId} unit={UnitIndex} replica={Replica} app={App}")]
    public static partial void UnitStarted(ILogger logger, Guid jobId, long unitIndex, int replica, string app);

    [LoggerMessage(2004, LogLevel.Information, "Unit finished job={JobId} unit={UnitIndex} replica={Replica} outcome={Outcome}")]
    public static partial void UnitFinished(ILogger logger, Guid jobId, long unitIndex, int replica, ReportOutcome outcome);

    [LoggerMessage(2005, LogLevel.Information, "Report acknowledged job={JobId} unit={UnitIndex} replica={Replica} outcome={Outcome}")]
    public static partial void ReportAcknowledged(ILogger logger, Guid jobId, long unitIndex, int replica, ReportOutcome outcome);

    [LoggerMessage(2006, LogLevel.Warning, "Report refused job={JobId} unit={UnitIndex} replica={Replica}: {Reason}")]
    public static partial void ReportRefused(ILogger logger, Guid jobId, long unitIndex, int replica, string reason);

    [LoggerMessage(2007, LogLevel.Information, "Unit cancelled by the coordinator job={JobId} unit={UnitIndex} replica={Replica}")]
    public static partial void UnitCancelled(ILogger logger, Guid jobId, long unitIndex, int replica);

    [LoggerMessage(2008, LogLevel.Error, "Unit crashed job={JobId} unit={UnitIndex} replica={Replica}")]
    public static partial void UnitCrashed(ILogger logger, Exception exception, Guid jobId, long unitIndex, int replica);

    [LoggerMessage(2009, LogLevel.Error, "The coordinator rejected a sync (HTTP {Status}): {Detail}")]
    public static partial void SyncRejected(ILogger logger, int status, string detail);

    [LoggerMessage(2010, LogLevel.Warning, "Sync to {Coordinator} failed ({Failure}); attempt {Attempt} in {Delay}")]
    public static partial void SyncRetry(ILogger logger, Uri coordinator, int attempt, TimeSpan delay, string failure);

    [LoggerMessage(2011, LogLevel.Critical,
        "The coordinator does not recognise worker {WorkerId} (HTTP {Status}: {Detail}); it was detached, or its identity is not " +
        "the project's. The agent stops: to compute for the project again, run 'detach' and then 'attach URL'.")]
    public static partial void NotAttached(ILogger logger, Guid workerId, int status, string detail);

    [LoggerMessage(2012, LogLevel.Warning, "Could not write the status file {Path}")]
    public static partial void StatusNotWritten(ILogger logger, Exception exception, string path);
}
