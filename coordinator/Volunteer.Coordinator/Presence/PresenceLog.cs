namespace Volunteer.Coordinator.Presence;

internal static partial class PresenceLog
{
    [LoggerMessage(1340, LogLevel.Warning, "Recording when {Count} hosts last synced failed; they are written with the next flush")]
    public static partial void FlushFailed(ILogger logger, Exception exception, int count);
}
