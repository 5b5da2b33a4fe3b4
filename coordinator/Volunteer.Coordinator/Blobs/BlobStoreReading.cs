namespace Volunteer.Coordinator.Blobs;

/// <summary>Reading a blob whole, for the coordinator's own use of payloads it holds (a result file, an assimilation).</summary>
public static class BlobStoreReading
{
    /// <summary>
    /// The whole of a complete blob, in memory: for payloads, which <c>MaxResultBytes</c> bounds, never for scientists'
    /// inputs. Throws <see cref="BlobMissingException"/> when the store has no such complete blob.
    /// </summary>
    public static async Task<byte[]> ReadWholeAsync(this IBlobStore blobs, string digest, CancellationToken cancellationToken = default)
    {
        var manifest = await blobs.FindAsync(digest, cancellationToken) ?? throw new BlobMissingException(digest);
        var content = new byte[manifest.Size];
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            var chunk = await blobs.ReadChunkAsync(digest, i, cancellationToken) ?? throw new BlobMissingException(digest);
            chunk.CopyTo(content, manifest.ChunkOffset(i));
        }
        return content;
    }
}

/// <summary>A blob something needs is not in the blob store (not uploaded or pulled yet, or collected).</summary>
public sealed class BlobMissingException(string digest) : Exception($"Blob {digest} is not in the coordinator's blob store.")
{
    public string Digest { get; } = digest;
}
