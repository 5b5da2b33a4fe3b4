namespace Volunteer.Coordinator.Dashboard.Overview;

internal static partial class OverviewLog
{
    [LoggerMessage(1341, LogLevel.Debug, "Overview figures computed in {Milliseconds:F2} ms ({Jobs} running jobs)")]
    public static partial void SnapshotComputed(ILogger logger, double milliseconds, int jobs);

    [LoggerMessage(1342, LogLevel.Warning, "Overview: reading the {Part} failed; the last figures stand")]
    public static partial void PartFailed(ILogger logger, Exception exception, string part);

    [LoggerMessage(1343, LogLevel.Error, "Overview figures stopped; the next viewer starts them again")]
    public static partial void SnapshotsFailed(ILogger logger, Exception exception);

    [LoggerMessage(1344, LogLevel.Warning, "Results per second: the cluster's statistics grain did not answer; this silo's count waits for the next exchange")]
    public static partial void ExchangeFailed(ILogger logger, Exception exception);
}
