namespace Volunteer.Sdk;

/// <summary>Computes one work unit on a volunteer's machine.</summary>
public interface IUnitComputer
{
    /// <summary>
    /// Computes <paramref name="input"/> and returns the result payload. Long computations report
    /// progress and save checkpoints through <paramref name="context"/>, and resume from
    /// <see cref="IUnitContext.Checkpoint"/> when one is given.
    /// </summary>
    Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken);
}

/// <summary>What a running unit may tell the agent that runs it.</summary>
public interface IUnitContext
{
    /// <summary>The last checkpoint saved for this unit, if the unit ran before and was interrupted.</summary>
    ReadOnlyMemory<byte>? Checkpoint { get; }

    /// <summary>Fraction done, 0..1.</summary>
    void ReportProgress(double fractionDone);

    /// <summary>Saves state from which the unit can resume; durable once the task completes.</summary>
    Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken);

    /// <summary>
    /// Opens, read-only, a blob the unit reads (one of <see cref="IScienceApp.InputBlobs"/>), already fetched and verified
    /// against its digest by the agent. Throws <see cref="InvalidOperationException"/> for a blob the job does not name.
    /// </summary>
    Stream OpenBlob(string digest);
}
