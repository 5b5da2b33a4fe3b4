using Volunteer.Protocol;
using Volunteer.Worker.Peers;

namespace Volunteer.Worker.Tests.Peers;

/// <summary>Blobs of known bytes, and the cache holding them as a finished fetch leaves it.</summary>
public static class TestBlobs
{
    public const int Chunk = BlobManifest.DefaultChunkSize;

    /// <summary><paramref name="size"/> pseudo-random bytes, the same for the same seed.</summary>
    public static byte[] Of(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] ChunkOf(byte[] content, int index) =>
        content.AsSpan(index * Chunk, Math.Min(Chunk, content.Length - index * Chunk)).ToArray();

    /// <summary>Fetches <paramref name="content"/> into the cache chunk by chunk, as the swarm would.</summary>
    public static BlobManifest Hold(BlobCache cache, byte[] content)
    {
        var manifest = BlobManifest.Of(content);
        using var partial = cache.BeginFetch(manifest);
        if (partial is not null)
        {
            foreach (var index in partial.Missing)
            {
                Assert.True(partial.TryPut(index, ChunkOf(content, index)));
            }
            partial.Publish();
        }
        return manifest;
    }

    public static byte[] Read(Stream stream)
    {
        using (stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
