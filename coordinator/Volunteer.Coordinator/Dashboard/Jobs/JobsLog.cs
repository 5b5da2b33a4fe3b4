namespace Volunteer.Coordinator.Dashboard.Jobs;

/// <summary>The job pages' log messages, source-generated; event ids 1720-1729.</summary>
internal static partial class JobsLog
{
    [LoggerMessage(1720, LogLevel.Debug, "Job {JobId}: image preview drawn with {Assimilated} units assimilated, {Bytes} bytes in {Milliseconds:F0} ms")]
    public static partial void PreviewDrawn(ILogger logger, Guid jobId, long assimilated, int bytes, double milliseconds);
}
