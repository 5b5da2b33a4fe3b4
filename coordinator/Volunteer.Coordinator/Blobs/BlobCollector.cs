using Microsoft.Extensions.Options;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Telemetry;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Deletes, every <see cref="VolunteerOptions.BlobCollectionInterval"/>, the blobs and unfinished uploads that no job
/// needs (<see cref="IWorkStore.IsBlobNeededAsync"/>) and that nobody touched for <see cref="VolunteerOptions.UnclaimedBlobLifetime"/>.
/// A blob a submission names is touched before the job is recorded, and a blob touched after collection looked at it is
/// not deleted (<see cref="IBlobStore.DeleteIfUntouchedAsync"/>), so collection never takes a blob from under a new job.
/// Every silo collects; two at once delete each blob once.
/// </summary>
public sealed class BlobCollector(
    IBlobStore blobs, IWorkStore store, IOptions<VolunteerOptions> options, TimeProvider time, ILogger<BlobCollector> logger)
    : BackgroundService
{
    /// <summary>Deletes what no job needs and nobody touched lately; returns how many blobs and uploads it deleted.</summary>
    public async Task<int> CollectAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - options.Value.UnclaimedBlobLifetime;
        var deleted = 0;
        await foreach (var digest in blobs.ListUntouchedAsync(before, cancellationToken))
        {
            if (!await store.IsBlobNeededAsync(digest, cancellationToken) && await blobs.DeleteIfUntouchedAsync(digest, before, cancellationToken))
            {
                deleted++;
            }
        }
        if (deleted > 0)
        {
            Log.BlobsCollected(logger, deleted);
        }
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.BlobCollectionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CollectAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BlobCollectionFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
