namespace Volunteer.Worker.Agent;

/// <summary>The log messages of the agent process and its projects' sync loops (event ids 2100-2149).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(2101, LogLevel.Information, "Project {Project}: worker {WorkerId}, resource share {ResourceShare}, {Slots} slots on this machine, against {Coordinators}")]
    public static partial void ProjectStarted(ILogger logger, string project, Guid workerId, int resourceShare, int slots, string coordinators);

    [LoggerMessage(2102, LogLevel.Warning, "Project {Project}: {Units} unit(s) did not stop within {Budget}; their last checkpoints stay on disk")]
    public static partial void UnitsNotStopped(ILogger logger, string project, int units, TimeSpan budget);

    [LoggerMessage(2103, LogLevel.Warning, "Project {Project}: the last sync did not complete in time; {Reports} report(s) stay in the outbox for the next run")]
    public static partial void LastSyncUnfinished(ILogger logger, string project, int reports);

    [LoggerMessage(2104, LogLevel.Information, "Agent running {Projects} project(s) on {Slots} slots from {StateDirectory}")]
    public static partial void AgentStarted(ILogger logger, int projects, int slots, string stateDirectory);

    [LoggerMessage(2105, LogLevel.Warning, "Project {Project} stopped by itself ({Reason}); the other projects go on")]
    public static partial void ProjectStopped(ILogger logger, string project, string reason);

    [LoggerMessage(2106, LogLevel.Critical, "Project {Project} failed")]
    public static partial void ProjectFailed(ILogger logger, Exception exception, string project);

    [LoggerMessage(2107, LogLevel.Information, "Settings reloaded: {Slots} slots, CPU {CpuPercent}%")]
    public static partial void LimitsReloaded(ILogger logger, int slots, int cpuPercent);
}
