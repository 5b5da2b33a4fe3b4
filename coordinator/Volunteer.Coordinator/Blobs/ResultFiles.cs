using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// The result files of completed jobs (<see cref="IResultFile"/>): built once, from the units' payloads in the blob store,
/// kept as a blob and recorded as the job's (so collection keeps it as long as the job). Content-addressed, so two
/// silos that build one job's file at once store the same blob and record the same row.
/// </summary>
public sealed class ResultFiles(IWorkStore store, IBlobStore blobs, TimeProvider time, ILogger<ResultFiles> logger)
{
    // One build per job at a time on this silo: a scientist polling the result does not start a build per request.
    private readonly ConcurrentDictionary<Guid, Lazy<Task<BlobManifest>>> _building = new();

    /// <summary>
    /// The manifest of the job's result file, built now if it has none yet. Throws <see cref="BlobMissingException"/>
    /// when a payload it is built from is not in the blob store.
    /// </summary>
    public async Task<BlobManifest> FindOrBuildAsync(JobRecord job, JsonElement parameters, IResultFile resultFile, CancellationToken cancellationToken)
    {
        foreach (var recorded in await store.ListJobBlobsAsync(job.Id, JobBlobUse.ResultFile, cancellationToken))
        {
            if (await blobs.FindAsync(recorded.Digest, cancellationToken) is { } manifest)
            {
                return manifest;
            }
        }
        var build = _building.GetOrAdd(job.Id, _ => new Lazy<Task<BlobManifest>>(() => BuildAsync(job, parameters.Clone(), resultFile)));
        try
        {
            return await build.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (build.Value.IsCompleted)
            {
                _building.TryRemove(new KeyValuePair<Guid, Lazy<Task<BlobManifest>>>(job.Id, build));
            }
        }
    }

    // Not the request's cancellation: a build that other requests wait for outlives the one that started it.
    private async Task<BlobManifest> BuildAsync(JobRecord job, JsonElement parameters, IResultFile resultFile)
    {
        await using var file = new FileStream(Path.GetTempFileName(), new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.ReadWrite, Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        });
        await resultFile.WriteAsync(parameters, job.Accumulated, blobs.ReadWholeAsync, file, CancellationToken.None);
        file.Position = 0;
        var digest = ContentDigest.Prefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
        file.Position = 0;
        var manifest = await blobs.PutAsync(digest, file, long.MaxValue, time.GetUtcNow())
            ?? throw new InvalidOperationException($"The result file of job {job.Id} changed while it was stored.");
        var batch = new WorkBatch();
        batch.JobBlobs.Add(new JobBlobRecord(job.Id, digest, JobBlobUse.ResultFile));
        await store.CommitAsync(batch);
        Log.ResultFileBuilt(logger, job.Id, digest, manifest.Size);
        return manifest;
    }
}
