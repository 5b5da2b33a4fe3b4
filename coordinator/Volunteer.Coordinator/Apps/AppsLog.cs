namespace Volunteer.Coordinator.Apps;

internal static partial class AppsLog
{
    [LoggerMessage(1400, LogLevel.Information, "App version {Reference} registered: module {Module} ({Size} bytes)")]
    public static partial void VersionRegistered(ILogger logger, string reference, string module, long size);

    [LoggerMessage(1401, LogLevel.Error, "Job {JobId}: the module of app {App} is not in the store; its leases go out without it and fail on the workers")]
    public static partial void ModuleMissing(ILogger logger, Guid jobId, string app);
}
