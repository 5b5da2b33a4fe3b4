using Volunteer.Worker.Governor;
using Volunteer.Worker.Peers;
using Volunteer.Worker.Storage;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Worker.Agent;

/// <summary>
/// Runs one leased replica with the app's computer and turns the outcome into a report: the blobs the unit reads are
/// fetched into the cache first, and a payload above the inline limit is kept in the cache and reported by digest.
/// </summary>
public sealed class UnitRunner(ScienceAppCatalog apps, WorkFolder folder, CoordinatorLimits limits, BlobCache cache, SwarmFetcher fetcher, ComputeGovernor governor)
{
    /// <summary>
    /// Computes the replica and returns its (unsigned) report, telling <paramref name="progress"/> the
    /// fraction done as the app reports it. Throws OperationCanceledException when cancelled, leaving
    /// the last checkpoint on disk for a later resume.
    /// </summary>
    public async Task<ReplicaReport> RunAsync(Assignment assignment, IProgress<double> progress, CancellationToken cancellationToken)
    {
        var app = apps.Find(assignment.App);
        if (app is null)
        {
            return Failed(assignment, $"This worker does not have the app '{assignment.App}'.");
        }
        var blobs = assignment.Blobs ?? [];
        foreach (var blob in blobs)
        {
            try
            {
                // Shared: the units that read one blob wait for one fetch of it.
                await fetcher.FetchAsync(blob, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException)
            {
                return Failed(assignment, $"Could not fetch blob {blob.Manifest.Digest}: {ex.Message}");
            }
        }
        await governor.WaitUntilMayComputeAsync(cancellationToken);
        using var gate = governor.Admit(assignment.Ref);
        var context = new CheckpointingContext(folder, assignment.Ref, progress, cache, blobs.Select(b => b.Manifest.Digest).ToHashSet(), gate, cancellationToken);
        byte[] payload;
        try
        {
            payload = await app.Computer.ComputeAsync(new UnitInput(assignment.UnitIndex, assignment.Input.GetRawText()), context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(assignment, $"{ex.GetType().Name}: {ex.Message}");
        }
        var told = limits.Current;
        if (payload.Length <= told.InlinePayloadLimit)
        {
            return new ReplicaReport(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success,
                ContentDigest.Of(payload), payload.Length, Convert.ToBase64String(payload));
        }
        if (payload.Length > told.MaxResultBytes)
        {
            return Failed(assignment, $"The result ({payload.Length} bytes) is above the project's {told.MaxResultBytes}-byte limit.");
        }
        try
        {
            // Kept at the edge until the coordinator pulls it (or asks for it): the report carries its digest only.
            var kept = cache.StoreResult(assignment.Ref, payload);
            return new ReplicaReport(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success, kept.Digest, kept.Size);
        }
        catch (IOException ex)
        {
            return Failed(assignment, $"The result ({payload.Length} bytes) could not be kept: {ex.Message}");
        }
    }

    private ReplicaReport Failed(Assignment assignment, string error) =>
        new(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Error, Error: Shortened(error, limits.Current.MaxErrorLength));

    /// <summary>The message cut to the coordinator's limit, never between the two halves of a surrogate pair.</summary>
    private static string Shortened(string error, int maxLength)
    {
        if (error.Length <= maxLength)
        {
            return error;
        }
        var length = char.IsHighSurrogate(error[maxLength - 1]) ? maxLength - 1 : maxLength;
        return error[..length];
    }

    private sealed class CheckpointingContext(
        WorkFolder folder, ReplicaRef replica, IProgress<double> progress, BlobCache cache, IReadOnlySet<string> blobs,
        UnitGate gate, CancellationToken cancellationToken) : IUnitContext
    {
        public ReadOnlyMemory<byte>? Checkpoint { get; } = folder.Checkpoint(replica);

        public void ReportProgress(double fractionDone)
        {
            // The unit's thread is held here while the governor pauses units and sleeps here to hold the CPU throttle.
            gate.Pass(cancellationToken);
            // An app's figure is shown as it is, within 0..1; one that is not a number at all is passed over.
            if (double.IsFinite(fractionDone))
            {
                progress.Report(Math.Clamp(fractionDone, 0, 1));
            }
        }

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
        {
            folder.SaveCheckpoint(replica, state.Span);
            return Task.CompletedTask;
        }

        /// <summary>A blob the assignment names, fetched and pinned before the unit started.</summary>
        public Stream OpenBlob(string digest) =>
            blobs.Contains(digest)
                ? cache.OpenRead(digest) ?? throw new InvalidOperationException($"Blob {digest} is not in the cache.")
                : throw new InvalidOperationException($"The unit's job names no blob {digest}.");
    }
}
