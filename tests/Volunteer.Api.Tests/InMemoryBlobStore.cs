using System.Collections.Concurrent;
using Volunteer.Coordinator.Blobs;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A blob store in memory, for the API tests' coordinator where no other is registered (the coordinator's own store
/// takes precedence): the tests put a job's input blobs in through <see cref="IBlobStore"/>, as the blob API would.
/// </summary>
internal sealed class InMemoryBlobStore : IBlobStore
{
    private readonly ConcurrentDictionary<string, (BlobManifest Manifest, byte[]?[] Chunks)> _uploads = new();
    private readonly ConcurrentDictionary<string, (BlobManifest Manifest, byte[] Content)> _blobs = new();

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<BlobManifest?> FindAsync(string digest, CancellationToken cancellationToken = default) =>
        Task.FromResult(_blobs.TryGetValue(digest, out var blob) ? blob.Manifest : null);

    public Task<BlobUploadStatus> BeginAsync(BlobManifest manifest, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (_blobs.ContainsKey(manifest.Digest))
        {
            return Task.FromResult(new BlobUploadStatus(manifest.Digest, manifest.Size, true, []));
        }
        var upload = _uploads.GetOrAdd(manifest.Digest, _ => (manifest, new byte[]?[manifest.Chunks.Count]));
        return Task.FromResult(StatusOf(upload.Manifest, upload.Chunks));
    }

    public Task<BlobUploadStatus?> PutChunkAsync(
        string digest, int index, ReadOnlyMemory<byte> chunk, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!_uploads.TryGetValue(digest, out var upload))
        {
            return Task.FromResult<BlobUploadStatus?>(null);
        }
        if (upload.Manifest.IsChunk(index, chunk.Span))
        {
            upload.Chunks[index] = chunk.ToArray();
        }
        if (upload.Chunks.All(c => c is not null))
        {
            var content = upload.Chunks.SelectMany(c => c!).ToArray();
            if (ContentDigest.Of(content) == digest)
            {
                _blobs[digest] = (upload.Manifest, content);
                _uploads.TryRemove(digest, out _);
                return Task.FromResult<BlobUploadStatus?>(new BlobUploadStatus(digest, content.Length, true, []));
            }
            Array.Clear(upload.Chunks);
        }
        return Task.FromResult<BlobUploadStatus?>(StatusOf(upload.Manifest, upload.Chunks));
    }

    public async Task<BlobManifest?> PutAsync(string digest, Stream content, long maxSize, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken);
        var bytes = copy.ToArray();
        if (bytes.Length > maxSize || ContentDigest.Of(bytes) != digest)
        {
            return null;
        }
        var manifest = BlobManifest.Of(bytes);
        _blobs[digest] = (manifest, bytes);
        return manifest;
    }

    public Task<byte[]?> ReadChunkAsync(string digest, int index, CancellationToken cancellationToken = default)
    {
        if (!_blobs.TryGetValue(digest, out var blob) || index < 0 || index >= blob.Manifest.Chunks.Count)
        {
            return Task.FromResult<byte[]?>(null);
        }
        return Task.FromResult<byte[]?>(blob.Content.AsSpan((int)blob.Manifest.ChunkOffset(index), blob.Manifest.ChunkLength(index)).ToArray());
    }

    private static BlobUploadStatus StatusOf(BlobManifest manifest, byte[]?[] chunks) =>
        new(manifest.Digest, manifest.Size, false, [.. Enumerable.Range(0, chunks.Length).Where(i => chunks[i] is null)]);
}
