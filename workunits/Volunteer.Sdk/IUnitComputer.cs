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

    /// <summary>
    /// The most memory computing <paramref name="input"/> takes, in bytes, or null when the app does not say: an agent
    /// whose owner allows less per unit (Worker:MemoryPerUnitBytes) does not start the unit. An input the app cannot
    /// read may say null; computing it then fails with the app's own error.
    /// </summary>
    long? MemoryNeed(UnitInput input) => null;
}

/// <summary>What a running unit may tell the agent that runs it, and ask of it.</summary>
/// <remarks>
/// <para>How an app that runs long checkpoints (BOINC's boinc_time_to_checkpoint / boinc_checkpoint_completed):</para>
/// <code>
/// var state = Resume(context.Checkpoint) ?? Start();        // a checkpoint that is not this unit's: start over
/// while (!state.Done)
/// {
///     state.Step();                                         // a step of well under a second
///     context.ReportProgress(state.Fraction);               // every step: the agent pauses and throttles the unit here
///     if (!state.Done &amp;&amp; context.TimeToCheckpoint)
///     {
///         await context.SaveCheckpointAsync(state.ToBytes(), state.Fraction, CancellationToken.None);
///     }
///     cancellationToken.ThrowIfCancellationRequested();     // the agent is stopping: the state is saved, stop now
/// }
/// </code>
/// <para><see cref="TimeToCheckpoint"/> turns true when the agent's checkpoint interval (the volunteer's setting
/// Worker:CheckpointInterval, 60 s by default) has passed since the unit's last checkpoint or its start, and at once
/// when the unit is being stopped (the agent shuts down or the owner stops work): saving then, before throwing
/// <see cref="OperationCanceledException"/>, means a stop loses nothing. An app whose units take a second or two may
/// skip checkpoints altogether: a stopped unit then starts over.</para>
/// </remarks>
public interface IUnitContext
{
    /// <summary>The last checkpoint saved for this unit, if the unit ran before and was interrupted.</summary>
    ReadOnlyMemory<byte>? Checkpoint { get; }

    /// <summary>
    /// Fraction done, 0..1. Cheap enough to call after every small step of the computation, and apps should (at least
    /// every tenth of a second of work): the agent holds a paused or throttled unit back inside this call. An app that
    /// cannot tell how far along it is passes <see cref="double.NaN"/>: the fraction shown stays as it was.
    /// </summary>
    void ReportProgress(double fractionDone);

    /// <summary>
    /// True when the unit should save a checkpoint now: the checkpoint interval has passed since its last one (or
    /// since it started), or it is being stopped. Saving resets the interval.
    /// </summary>
    bool TimeToCheckpoint { get; }

    /// <summary>
    /// Saves state from which the unit can resume, standing for <paramref name="fractionDone"/> (0..1) of the unit;
    /// durable once the task completes. Replaces the unit's previous checkpoint as a whole or not at all, so an agent
    /// killed mid-save resumes from the previous one. Pass <see cref="CancellationToken.None"/> when saving because the
    /// unit is stopping, so the save is not itself cancelled.
    /// </summary>
    Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken);

    /// <summary>
    /// Opens, read-only, a blob the unit reads (one of <see cref="IScienceApp.InputBlobs"/>), already fetched and verified
    /// against its digest by the agent. Throws <see cref="InvalidOperationException"/> for a blob the job does not name.
    /// </summary>
    Stream OpenBlob(string digest);
}
