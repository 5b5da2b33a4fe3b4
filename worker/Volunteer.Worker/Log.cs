using Volunteer.Protocol;

namespace Volunteer.Worker;

internal static partial class Log
{
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

    [LoggerMessage(2010, LogLevel.Warning, "{Request} to {Coordinator} failed ({Failure}); attempt {Attempt} in {Delay}")]
    public static partial void RequestRetry(ILogger logger, string request, Uri coordinator, int attempt, TimeSpan delay, string failure);

    [LoggerMessage(2011, LogLevel.Critical,
        "The coordinator does not recognise worker {WorkerId} (HTTP {Status}: {Detail}); it was detached, or its identity is not " +
        "the project's. The agent stops: to compute for the project again, run 'detach' and then 'attach URL'.")]
    public static partial void NotAttached(ILogger logger, Guid workerId, int status, string detail);

    [LoggerMessage(2012, LogLevel.Warning, "Could not write the status file {Path}")]
    public static partial void StatusNotWritten(ILogger logger, Exception exception, string path);

    [LoggerMessage(2013, LogLevel.Information, "Peer endpoint listening on {Endpoint} (upload cap {UploadBytesPerSecond} bytes/s, 0 = unbounded)")]
    public static partial void PeerEndpointListening(ILogger logger, Uri endpoint, long uploadBytesPerSecond);

    [LoggerMessage(2014, LogLevel.Information, "Took {Reports} report(s) of worker {Origin} to relay")]
    public static partial void RelayTaken(ILogger logger, Guid origin, int reports);

    [LoggerMessage(2015, LogLevel.Warning, "Refused reports of worker {Origin} to relay: {Reason}")]
    public static partial void RelayRefused(ILogger logger, Guid origin, string reason);

    [LoggerMessage(2016, LogLevel.Information, "Relayed reports of worker {Origin} forwarded: {Accepted} accepted, {Refused} refused")]
    public static partial void RelayForwarded(ILogger logger, Guid origin, int accepted, int refused);

    [LoggerMessage(2017, LogLevel.Warning, "Holder {Holder} dropped from the fetch of {Digest}: {Reason}")]
    public static partial void HolderDropped(ILogger logger, Guid holder, string digest, string reason);

    [LoggerMessage(2018, LogLevel.Warning, "Holder {Holder} served a bad chunk {Index} of {Digest}: refused, holder dropped and reported")]
    public static partial void BadChunk(ILogger logger, Guid holder, int index, string digest);

    [LoggerMessage(2019, LogLevel.Information, "Blob fetched {Digest}: {PeerBytes} bytes from peers, {CoordinatorBytes} from the coordinator, {BadHolders} bad holder(s)")]
    public static partial void BlobFetched(ILogger logger, string digest, long peerBytes, long coordinatorBytes, int badHolders);

    [LoggerMessage(2020, LogLevel.Information, "Result blob {Digest} uploaded to the coordinator")]
    public static partial void Uploaded(ILogger logger, string digest);

    [LoggerMessage(2021, LogLevel.Warning, "Upload of {Digest} to {Coordinator} failed: {Failure}")]
    public static partial void UploadFailed(ILogger logger, string digest, Uri? coordinator, string failure);

    [LoggerMessage(2022, LogLevel.Warning, "The coordinator refused the upload of {Digest} (HTTP {Status}): {Detail}")]
    public static partial void UploadRefused(ILogger logger, string digest, int status, string detail);

    [LoggerMessage(2023, LogLevel.Warning, "The coordinator asked for blob {Digest}, which this worker does not hold")]
    public static partial void UploadNotHeld(ILogger logger, string digest);

    [LoggerMessage(2024, LogLevel.Information, "Learned the coordinator's public key")]
    public static partial void CoordinatorKeyLearned(ILogger logger);

    [LoggerMessage(2025, LogLevel.Warning, "Could not learn the coordinator's public key ({Reason}); the peer endpoint serves nothing and relays nothing until it does")]
    public static partial void CoordinatorKeyUnknown(ILogger logger, string reason);

    [LoggerMessage(2026, LogLevel.Information, "Cut off from the coordinators: {Reports} report(s) of job {JobId} handed to peer {Peer} to relay")]
    public static partial void ReportsRelayed(ILogger logger, int reports, Guid jobId, Guid peer);

    [LoggerMessage(2027, LogLevel.Warning, "Peer {Peer} did not take reports to relay: {Reason}")]
    public static partial void RelayDeclined(ILogger logger, Guid peer, string reason);

    [LoggerMessage(2028, LogLevel.Warning, "Cut off from the coordinators with {Reports} report(s), and cannot relay them: {Reason}")]
    public static partial void RelayImpossible(ILogger logger, int reports, string reason);

    [LoggerMessage(2029, LogLevel.Warning, "Dropped the relayed reports of worker {Origin}: the coordinator rejected the sync that carried them")]
    public static partial void RelayDropped(ILogger logger, Guid origin);
}
