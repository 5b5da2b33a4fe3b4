using Volunteer.Protocol;

namespace Volunteer.Client;

/// <summary>A blob uploaded: its manifest, the chunks sent and those the coordinator already had.</summary>
public sealed record BlobUpload(BlobManifest Manifest, int ChunksSent, int ChunksAlreadyThere)
{
    public string Digest => Manifest.Digest;
}

/// <summary>How far an upload is: bytes the coordinator holds of the blob's size (the chunks it had count as done).</summary>
public sealed record BlobUploadProgress(long BytesDone, long Size);
