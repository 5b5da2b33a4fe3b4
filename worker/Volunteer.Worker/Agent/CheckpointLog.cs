namespace Volunteer.Worker.Agent;

/// <summary>What the agent logs of units' checkpoints (event ids 2300-2309).</summary>
internal static partial class CheckpointLog
{
    [LoggerMessage(2300, LogLevel.Information,
        "Unit resumed job={JobId} unit={UnitIndex} replica={Replica} from its checkpoint at {FractionDone:0.####} written {WrittenAt:O}")]
    public static partial void Resumed(ILogger logger, Guid jobId, long unitIndex, int replica, double fractionDone, DateTimeOffset writtenAt);

    [LoggerMessage(2301, LogLevel.Debug, "Checkpoint saved job={JobId} unit={UnitIndex} replica={Replica} at {FractionDone:0.####}")]
    public static partial void Saved(ILogger logger, Guid jobId, long unitIndex, int replica, double fractionDone);

    [LoggerMessage(2302, LogLevel.Warning,
        "Checkpoint not saved job={JobId} unit={UnitIndex} replica={Replica}; the unit goes on, and a restart resumes it from its previous checkpoint")]
    public static partial void NotSaved(ILogger logger, Exception exception, Guid jobId, long unitIndex, int replica);
}
