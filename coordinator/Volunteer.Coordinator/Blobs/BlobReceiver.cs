using System.Security.Cryptography;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Reads a streamed blob a chunk at a time, hashing the whole and each chunk as they come, so that a store keeps only
/// one chunk in memory and knows the blob's manifest at the end.
/// </summary>
internal sealed class BlobReceiver : IDisposable
{
    private readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _chunks = [];
    private readonly byte[] _buffer = new byte[BlobManifest.DefaultChunkSize];
    private bool _ended;

    /// <summary>Bytes read so far.</summary>
    public long Size { get; private set; }

    /// <summary>Index of the chunk <see cref="ReadChunkAsync"/> returned last.</summary>
    public int Index => _chunks.Count - 1;

    /// <summary>The next chunk, valid until the next call; empty at the end of the stream.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadChunkAsync(Stream content, CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var filled = await content.ReadAtLeastAsync(_buffer, _buffer.Length, throwOnEndOfStream: false, cancellationToken);
        _ended = filled < _buffer.Length;
        if (filled == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var chunk = _buffer.AsMemory(0, filled);
        _whole.AppendData(chunk.Span);
        _chunks.Add(ContentDigest.Of(chunk.Span));
        Size += filled;
        return chunk;
    }

    /// <summary>The manifest of everything read, once the stream has ended.</summary>
    public BlobManifest Manifest() =>
        new(ContentDigest.Prefix + Convert.ToHexStringLower(_whole.GetHashAndReset()), Size, BlobManifest.DefaultChunkSize, [.. _chunks]);

    public void Dispose() => _whole.Dispose();
}
