using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Storage;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Dashboard.Jobs;

/// <summary>A job's result image as it stood with <paramref name="Assimilated"/> units assimilated, and what drawing it took.</summary>
internal sealed record JobPreview(long Assimilated, byte[] Png, DateTimeOffset RenderedAt, TimeSpan RenderTime);

/// <summary>
/// Previews of result images while their jobs run (<see cref="IResultFile.WriteAsync"/> over the result accumulated so
/// far: units not yet assimilated come out as the app draws a missing one). One preview per job and number of
/// assimilated units, shared by every viewer on this silo; drawn one at a time, and for one job at most every
/// <see cref="MinInterval"/> and never more than a fifth of the time, however many viewers ask.
/// </summary>
internal sealed class JobImages(IWorkStore store, IBlobStore blobs, TimeProvider time, ILogger<JobImages> logger) : IDisposable
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(2);

    /// <summary>A preview waits at least this many times as long as the last one took to draw before the next.</summary>
    public const int RestFactor = 4;

    /// <summary>The largest preview drawn: a bigger image (most of a 16384² one) is shown once its job has completed.</summary>
    public const int MaxPreviewBytes = 32 * 1024 * 1024;

    /// <summary>All the previews kept, in bytes: the least recently asked for go first.</summary>
    public const long MaxCachedBytes = 128L * 1024 * 1024;

    private static readonly TimeSpan KeptUnasked = TimeSpan.FromMinutes(1);

    private readonly MemoryCache _previews = new(new MemoryCacheOptions { SizeLimit = MaxCachedBytes });

    /// <summary>When each job's last preview was drawn and how long it took: kept apart, so a preview too big to keep still paces the next.</summary>
    private readonly MemoryCache _lastDrawn = new(new MemoryCacheOptions());

    private readonly ConcurrentDictionary<Guid, Task<JobPreview>> _drawing = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>
    /// The job's image with at least <paramref name="assimilated"/> units in it (the count its viewer saw), drawn now
    /// unless a preview that recent is kept. Throws <see cref="PreviewTooLargeException"/> for an image above
    /// <see cref="MaxPreviewBytes"/>, and <see cref="BlobMissingException"/> when a payload it needs is not in the blob store.
    /// </summary>
    public async Task<JobPreview> PreviewAsync(Guid jobId, long assimilated, IResultFile resultFile, CancellationToken cancellationToken)
    {
        // A drawing under way may have started before the newest units: then one more is drawn, and that is enough.
        JobPreview? preview = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            preview = _previews.Get<JobPreview>(jobId);
            if (preview is not null && preview.Assimilated >= assimilated)
            {
                return preview;
            }
            preview = await DrawOnceAsync(jobId, resultFile).WaitAsync(cancellationToken);
            if (preview.Assimilated >= assimilated)
            {
                return preview;
            }
        }
        return preview!;
    }

    /// <summary>The drawing of the job's preview under way, or a new one: many viewers, one drawing.</summary>
    private Task<JobPreview> DrawOnceAsync(Guid jobId, IResultFile resultFile)
    {
        var mine = new TaskCompletionSource<JobPreview>(TaskCreationOptions.RunContinuationsAsynchronously);
        var drawing = _drawing.GetOrAdd(jobId, mine.Task);
        if (drawing == mine.Task)
        {
            _ = DrawAsync();
        }
        return drawing;

        async Task DrawAsync()
        {
            try
            {
                var preview = await DrawWhenDueAsync(jobId, resultFile);
                _drawing.TryRemove(KeyValuePair.Create(jobId, mine.Task));
                mine.SetResult(preview);
            }
            catch (Exception ex)
            {
                _drawing.TryRemove(KeyValuePair.Create(jobId, mine.Task));
                mine.SetException(ex);
            }
        }
    }

    // Not a viewer's cancellation: other viewers wait for the same drawing.
    private async Task<JobPreview> DrawWhenDueAsync(Guid jobId, IResultFile resultFile)
    {
        if (_lastDrawn.Get<JobPreview>(jobId) is { } last)
        {
            var due = last.RenderedAt + TimeSpan.FromTicks(Math.Max(MinInterval.Ticks, last.RenderTime.Ticks * RestFactor));
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time);
            }
        }
        await _oneAtATime.WaitAsync();
        try
        {
            var job = await store.FindJobAsync(jobId) ?? throw new InvalidOperationException($"Job {jobId} has no row to draw its image from.");
            if (_previews.Get<JobPreview>(jobId) is { } kept && kept.Assimilated == job.UnitsAssimilated)
            {
                // Nothing new since: the kept preview stands.
                return kept;
            }
            using var parameters = JsonDocument.Parse(job.Parameters);
            var started = Stopwatch.GetTimestamp();
            using var png = new CappedStream(MaxPreviewBytes);
            await resultFile.WriteAsync(parameters.RootElement, job.Accumulated, blobs.ReadWholeAsync, png, CancellationToken.None);
            var preview = new JobPreview(job.UnitsAssimilated, png.ToArray(), time.GetUtcNow(), Stopwatch.GetElapsedTime(started));
            _lastDrawn.Set(jobId, preview with { Png = [] }, new MemoryCacheEntryOptions { SlidingExpiration = KeptUnasked });
            _previews.Set(jobId, preview, new MemoryCacheEntryOptions { Size = preview.Png.Length, SlidingExpiration = KeptUnasked });
            JobsLog.PreviewDrawn(logger, jobId, preview.Assimilated, preview.Png.Length, preview.RenderTime.TotalMilliseconds);
            return preview;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose()
    {
        _previews.Dispose();
        _lastDrawn.Dispose();
        _oneAtATime.Dispose();
    }

    /// <summary>A memory stream that refuses to grow past <paramref name="capacity"/> bytes.</summary>
    private sealed class CappedStream(int capacity) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Check(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override void WriteByte(byte value)
        {
            Check(1);
            base.WriteByte(value);
        }

        private void Check(int count)
        {
            if (Position + count > capacity)
            {
                throw new PreviewTooLargeException(capacity);
            }
        }
    }
}

/// <summary>A result image too large to preview: it is shown once its job has completed.</summary>
internal sealed class PreviewTooLargeException(int limit)
    : Exception($"The image is larger than the {limit / (1024 * 1024)} MiB a preview may take; it is shown once the job has completed.");
