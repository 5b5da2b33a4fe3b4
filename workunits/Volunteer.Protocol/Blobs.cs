using System.Security.Cryptography;
using Volunteer.Sdk;

namespace Volunteer.Protocol;

/// <summary>
/// A content-addressed blob (job input, shared unit input, result payload): its SHA-256 digest and size, and the
/// digests of its chunks in order, so that each chunk can be verified on arrival, from whichever peer it came.
/// Every chunk is <see cref="ChunkSize"/> bytes but the last, which holds the rest (a blob of 0 bytes has no chunk).
/// </summary>
/// <param name="Digest">The whole blob's content address (<see cref="ContentDigest"/>).</param>
/// <param name="Chunks">Each chunk's content address, in order.</param>
public sealed record BlobManifest(string Digest, long Size, int ChunkSize, IReadOnlyList<string> Chunks)
{
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary>The bytes of chunk <paramref name="index"/>.</summary>
    public int ChunkLength(int index) => (int)Math.Min(ChunkSize, Size - (long)index * ChunkSize);

    /// <summary>Where chunk <paramref name="index"/> starts in the blob.</summary>
    public long ChunkOffset(int index) => (long)index * ChunkSize;

    public static int ChunkCountOf(long size, int chunkSize) => (int)((size + chunkSize - 1) / chunkSize);

    /// <summary>True when <paramref name="chunk"/> is chunk <paramref name="index"/> of this blob.</summary>
    public bool IsChunk(int index, ReadOnlySpan<byte> chunk) =>
        index >= 0 && index < Chunks.Count && chunk.Length == ChunkLength(index) && ContentDigest.Of(chunk) == Chunks[index];

    /// <summary>
    /// Null when the manifest is well formed (digests well formed, as many chunks as its size needs); otherwise what is
    /// wrong. Whether the chunks add up to the digest is known only once they are all there.
    /// </summary>
    public string? Problem(long maxSize)
    {
        if (!ContentDigest.IsWellFormed(Digest))
        {
            return "'digest' must be \"sha256:\" followed by 64 lowercase hex digits.";
        }
        if (Size < 0 || Size > maxSize)
        {
            return $"'size' must be between 0 and {maxSize} bytes.";
        }
        if (ChunkSize != DefaultChunkSize)
        {
            return $"'chunkSize' must be {DefaultChunkSize}.";
        }
        if (Chunks is null || Chunks.Count != ChunkCountOf(Size, ChunkSize))
        {
            return $"'chunks' must list {ChunkCountOf(Size, ChunkSize)} chunk digests for {Size} bytes.";
        }
        return Chunks.All(ContentDigest.IsWellFormed) ? null : "Every chunk digest must be \"sha256:\" followed by 64 lowercase hex digits.";
    }

    /// <summary>The manifest of <paramref name="content"/>, read to its end once.</summary>
    public static async Task<BlobManifest> OfAsync(Stream content, CancellationToken cancellationToken, int chunkSize = DefaultChunkSize)
    {
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunks = new List<string>();
        var buffer = new byte[chunkSize];
        long size = 0;
        while (true)
        {
            var filled = await content.ReadAtLeastAsync(buffer, chunkSize, throwOnEndOfStream: false, cancellationToken);
            if (filled == 0)
            {
                break;
            }
            whole.AppendData(buffer, 0, filled);
            chunks.Add(ContentDigest.Of(buffer.AsSpan(0, filled)));
            size += filled;
            if (filled < chunkSize)
            {
                break;
            }
        }
        return new BlobManifest(ContentDigest.Prefix + Convert.ToHexStringLower(whole.GetHashAndReset()), size, chunkSize, chunks);
    }

    public static BlobManifest Of(byte[] content, int chunkSize = DefaultChunkSize)
    {
        using var stream = new MemoryStream(content, writable: false);
        return OfAsync(stream, CancellationToken.None, chunkSize).GetAwaiter().GetResult();
    }
}

/// <summary>Where a blob upload stands: which chunks the coordinator still lacks (none once it is complete and verified).</summary>
public sealed record BlobUploadStatus(string Digest, long Size, bool Complete, IReadOnlyList<int> MissingChunks);

/// <summary>
/// The coordinator's permission for one worker to fetch one blob, for a job, until it expires: peers serve a chunk
/// only to whoever shows a ticket for that blob that the coordinator's key signed (<see cref="CoordinatorSignature"/>).
/// A ticket for <see cref="Guid.Empty"/> is the coordinator's own, with which it pulls results from the edge.
/// </summary>
public sealed record BlobTicket(string Digest, Guid WorkerId, Guid JobId, DateTimeOffset ExpiresAt, string Signature);

/// <summary>
/// A worker's introduction to its peers, signed by the coordinator: this worker id has this public key. A peer
/// takes signed reports to relay only with a pass, and checks the reports' signature with the key in it.
/// </summary>
public sealed record PeerPass(Guid WorkerId, string PublicKey, DateTimeOffset ExpiresAt, string Signature);

/// <summary>A peer that holds a blob, as the coordinator lists it: reached at least once by the coordinator at this endpoint.</summary>
/// <param name="Endpoint">The base URL of its peer endpoint, e.g. http://127.0.3.1:40123/.</param>
public sealed record PeerHolder(Guid WorkerId, string Endpoint);

/// <summary>What a worker needs to fetch one blob a unit reads: its manifest, a ticket, and a few holders, closest first.</summary>
public sealed record BlobSource(BlobManifest Manifest, BlobTicket Ticket, IReadOnlyList<PeerHolder> Holders);
