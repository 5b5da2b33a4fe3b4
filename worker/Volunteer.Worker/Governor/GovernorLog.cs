namespace Volunteer.Worker.Governor;

internal static partial class GovernorLog
{
    [LoggerMessage(2101, LogLevel.Information, "Not computing: {Reasons}")]
    public static partial void Paused(ILogger logger, string reasons);

    [LoggerMessage(2102, LogLevel.Information, "Computing again (held before: {Reasons})")]
    public static partial void Resumed(ILogger logger, string reasons);

    [LoggerMessage(2103, LogLevel.Error, "Could not look at the conditions for computing; units stay as they were until the next look")]
    public static partial void RecheckFailed(ILogger logger, Exception exception);
}
