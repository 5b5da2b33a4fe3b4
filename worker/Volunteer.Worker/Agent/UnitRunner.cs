using Volunteer.Worker.Storage;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Worker.Agent;

/// <summary>Runs one leased replica with the app's computer and turns the outcome into a report.</summary>
public sealed class UnitRunner(ScienceAppCatalog apps, WorkFolder folder, int inlinePayloadLimit)
{
    /// <summary>
    /// Computes the replica and returns its (unsigned) report. Throws OperationCanceledException when
    /// cancelled, leaving the last checkpoint on disk for a later resume.
    /// </summary>
    public async Task<ReplicaReport> RunAsync(Assignment assignment, CancellationToken cancellationToken)
    {
        var app = apps.Find(assignment.App);
        if (app is null)
        {
            return Failed(assignment, $"This worker does not have the app '{assignment.App}'.");
        }
        var context = new CheckpointingContext(folder, assignment.Ref);
        byte[] payload;
        try
        {
            payload = await app.Computer.ComputeAsync(new UnitInput(assignment.UnitIndex, assignment.Input.GetRawText()), context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(assignment, $"{ex.GetType().Name}: {ex.Message}");
        }
        if (payload.Length > inlinePayloadLimit)
        {
            return Failed(assignment, $"The result ({payload.Length} bytes) is above the {inlinePayloadLimit}-byte inline limit.");
        }
        return new ReplicaReport(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success,
            ContentDigest.Of(payload), payload.Length, Convert.ToBase64String(payload));
    }

    private static ReplicaReport Failed(Assignment assignment, string error) =>
        new(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Error, Error: error[..Math.Min(error.Length, 4000)]);

    private sealed class CheckpointingContext(WorkFolder folder, ReplicaRef replica) : IUnitContext
    {
        public ReadOnlyMemory<byte>? Checkpoint { get; } = folder.Checkpoint(replica);

        public double Progress { get; private set; }

        public void ReportProgress(double fractionDone) => Progress = fractionDone;

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
        {
            folder.SaveCheckpoint(replica, state.Span);
            return Task.CompletedTask;
        }
    }
}
