using System.Text;
using System.Text.Json;
using Volunteer.Apps.Wasm;
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
/// The unit resumes from its checkpoint, if it has one, and passes the governor's gate whenever it reports progress.
/// A unit of a WebAssembly app runs its module in the process's sandbox, and only a module the coordinator signed
/// (under the app's name and version, with its limits) whose fetched bytes match the signed digest.
/// </summary>
public sealed class UnitRunner(
    ScienceAppCatalog apps, CompiledModules modules, CoordinatorPublicKey coordinatorKey, WorkFolder folder, CoordinatorLimits limits,
    BlobCache cache, SwarmFetcher fetcher, ComputeGovernor governor, TimeProvider timeProvider, ILogger<UnitRunner> logger)
{
    /// <summary>
    /// Computes the replica and returns its (unsigned) report, keeping <paramref name="run"/> up to date: the fraction
    /// done as the app reports it, the checkpoint it resumed from and the checkpoints it saves. Throws
    /// OperationCanceledException when cancelled, leaving the last checkpoint on disk for a later resume (an app that
    /// checkpoints saves one as it stops).
    /// </summary>
    public async Task<ReplicaReport> RunAsync(Assignment assignment, UnitRun run, CancellationToken cancellationToken)
    {
        var input = new UnitInput(assignment.UnitIndex, assignment.Input.GetRawText());
        IScienceApp? app = null;
        long? memoryNeed;
        if (assignment.Module is { } module)
        {
            // Before anything is fetched: a module the coordinator did not sign as this app is never even downloaded.
            if (Unsigned(assignment, module) is { } problem)
            {
                WasmLog.NotRun(logger, assignment.App, assignment.JobId, assignment.UnitIndex, assignment.Replica, problem);
                return Failed(assignment, $"Not run: {problem}.");
            }
            memoryNeed = module.Limits.MemoryBytes;
        }
        else
        {
            app = apps.Find(assignment.App);
            if (app is null)
            {
                return Failed(assignment, $"This worker does not have the app '{assignment.App}'.");
            }
            memoryNeed = app.Computer.MemoryNeed(input);
        }
        // Before anything is fetched: a unit the owner's memory limit excludes is handed back for another host.
        if (governor.Refuses(memoryNeed) is { } reason)
        {
            return Failed(assignment, $"Not run on this host: {reason}.");
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
        WasmModule? compiled = null;
        if (assignment.Module is { } signed)
        {
            try
            {
                // Like any blob: peers first, every chunk and the whole checked against the signed digest.
                await fetcher.FetchAsync(signed.Source, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException)
            {
                return Failed(assignment, $"Could not fetch module {signed.Digest}: {ex.Message}");
            }
            try
            {
                compiled = modules.Get(signed.Digest, () => ModuleBytes(signed.Digest));
            }
            catch (InvalidDataException ex)
            {
                // A copy altered on this disk since it was fetched (or one the sandbox refuses) is of no use: dropped,
                // the next unit fetches the module again.
                cache.Discard(signed.Digest);
                WasmLog.NotRun(logger, assignment.App, assignment.JobId, assignment.UnitIndex, assignment.Replica, ex.Message);
                return Failed(assignment, $"Not run: {ex.Message}");
            }
        }
        var checkpoint = folder.Checkpoint(assignment.Ref);
        if (checkpoint is not null)
        {
            run.Resumed(checkpoint.FractionDone, checkpoint.WrittenAt);
            CheckpointLog.Resumed(logger, assignment.JobId, assignment.UnitIndex, assignment.Replica, checkpoint.FractionDone, checkpoint.WrittenAt);
        }
        byte[] payload;
        long? fuel = null;
        using (var gate = governor.Admit(assignment.Ref))
        {
            run.Gate = gate;
            var context = new CheckpointingContext(
                folder, cache, governor, timeProvider, logger, assignment.Ref, checkpoint, run, gate, cancellationToken,
                blobs.Select(b => b.Manifest.Digest).ToHashSet());
            try
            {
                if (compiled is null)
                {
                    payload = await app!.Computer.ComputeAsync(input, context, cancellationToken);
                }
                else
                {
                    var outcome = modules.Sandbox.Compute(
                        compiled, InputBytes(assignment.Input), assignment.Module!.Limits, context, [.. blobs.Select(b => b.Manifest.Digest)], cancellationToken);
                    (payload, fuel) = (outcome.Result, outcome.FuelUsed);
                }
            }
            catch (WasmUnitException ex)
            {
                // A trap, the unit's fuel or memory exhausted, an error code: the module's own failure, told as it is.
                return Failed(assignment, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return Failed(assignment, $"{ex.GetType().Name}: {ex.Message}");
            }
        }
        var told = limits.Current;
        if (payload.Length <= told.InlinePayloadLimit)
        {
            return new ReplicaReport(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success,
                ContentDigest.Of(payload), payload.Length, Convert.ToBase64String(payload), Fuel: fuel);
        }
        if (payload.Length > told.MaxResultBytes)
        {
            return Failed(assignment, $"The result ({payload.Length} bytes) is above the project's {told.MaxResultBytes}-byte limit.");
        }
        try
        {
            // Kept at the edge until the coordinator pulls it (or asks for it): the report carries its digest only.
            var kept = cache.StoreResult(assignment.Ref, payload);
            return new ReplicaReport(assignment.JobId, assignment.UnitIndex, assignment.Replica, ReportOutcome.Success, kept.Digest, kept.Size, Fuel: fuel);
        }
        catch (IOException ex)
        {
            return Failed(assignment, $"The result ({payload.Length} bytes) could not be kept: {ex.Message}");
        }
    }

    /// <summary>
    /// Why the module must not run, or null: the coordinator's signature over its digest, name, version and limits
    /// does not verify with the key learnt at attach, or it is signed as another app than the one leased.
    /// </summary>
    private string? Unsigned(Assignment assignment, AppModule module)
    {
        if (coordinatorKey.Key is not { } key)
        {
            return "the coordinator's key, which its modules are checked with, is not known yet";
        }
        if (!CoordinatorSignature.Verify(key, module))
        {
            return $"module {module.Digest} does not carry the coordinator's signature over its digest, name, version and limits";
        }
        var signedAs = AppReference.Of(module.Name, module.Version);
        return signedAs == assignment.App ? null : $"module {module.Digest} is signed as {signedAs}, not as {assignment.App}";
    }

    /// <summary>The module's bytes as the cache holds them.</summary>
    private byte[] ModuleBytes(string digest)
    {
        using var stream = cache.OpenRead(digest) ?? throw new InvalidDataException($"Module {digest} is not in the cache.");
        using var bytes = new MemoryStream((int)stream.Length);
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The ABI's unit input: the UTF-8 JSON text of the unit's input, or a JSON string's content.</summary>
    private static byte[] InputBytes(JsonElement input) =>
        input.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(input.GetString()!) : Encoding.UTF8.GetBytes(input.GetRawText());

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

    /// <summary>
    /// The unit's side of the SDK: progress goes to its <see cref="UnitRun"/> and through the governor's gate,
    /// checkpoints to the work folder with the fraction they stand for, and the checkpoint interval is the owner's
    /// current one (a change applies to running units at once).
    /// </summary>
    private sealed class CheckpointingContext(
        WorkFolder folder, BlobCache cache, ComputeGovernor governor, TimeProvider timeProvider, ILogger logger, ReplicaRef replica, SavedCheckpoint? resumed, UnitRun run, UnitGate gate,
        CancellationToken stopping, IReadOnlySet<string> blobs) : IUnitContext
    {
        /// <summary>When the unit last saved a checkpoint, or started: the interval counts from there.</summary>
        private long _lastCheckpoint = timeProvider.GetTimestamp();

        public ReadOnlyMemory<byte>? Checkpoint { get; } = resumed?.State;

        public bool TimeToCheckpoint =>
            stopping.IsCancellationRequested
            || timeProvider.GetElapsedTime(Volatile.Read(ref _lastCheckpoint)) >= governor.Limits.CheckpointInterval;

        public void ReportProgress(double fractionDone)
        {
            // An app's figure is shown as it is, within 0..1; one that is not a number at all is passed over.
            if (double.IsFinite(fractionDone))
            {
                run.Progressed(Math.Clamp(fractionDone, 0, 1));
            }
            try
            {
                gate.Pass(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopped while held by a pause: back to the app, which sees the stop, saves its checkpoint and ends.
            }
        }

        public Task SaveCheckpointAsync(ReadOnlyMemory<byte> state, double fractionDone, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A figure that is no number stands for what the app reported last.
            var fraction = double.IsFinite(fractionDone) ? Math.Clamp(fractionDone, 0, 1) : run.FractionDone;
            var writtenAt = timeProvider.GetUtcNow();
            try
            {
                folder.SaveCheckpoint(replica, new SavedCheckpoint(state, fraction, writtenAt));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full disk costs a resume at the previous checkpoint, not the unit: it computes on, and tries again
                // at the next interval.
                CheckpointLog.NotSaved(logger, ex, replica.JobId, replica.UnitIndex, replica.Replica);
                Volatile.Write(ref _lastCheckpoint, timeProvider.GetTimestamp());
                return Task.CompletedTask;
            }
            Volatile.Write(ref _lastCheckpoint, timeProvider.GetTimestamp());
            run.Checkpointed(fraction, writtenAt);
            CheckpointLog.Saved(logger, replica.JobId, replica.UnitIndex, replica.Replica, fraction);
            return Task.CompletedTask;
        }

        /// <summary>A blob the assignment names, fetched and pinned before the unit started.</summary>
        public Stream OpenBlob(string digest) =>
            blobs.Contains(digest)
                ? cache.OpenRead(digest) ?? throw new InvalidOperationException($"Blob {digest} is not in the cache.")
                : throw new InvalidOperationException($"The unit's job names no blob {digest}.");
    }
}
