using Volunteer.Protocol;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// The coordinator's content-addressed blobs: files under the data folder on the embedded default, PostgreSQL tables in
/// cluster mode (so every silo serves every blob). A blob is served only once complete and verified against its digest.
/// Every upload to a blob, and every job submission that names it (<see cref="TouchAsync"/>), marks it as touched; blob
/// collection (<see cref="BlobCollector"/>) deletes only what no job needs and nobody touched for a while.
/// </summary>
public interface IBlobStore
{
    /// <summary>Creates what the store needs; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The manifest of a complete, verified blob; null when there is no such blob (or it is still being uploaded).</summary>
    Task<BlobManifest?> FindAsync(string digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts an upload by its manifest (<see cref="BlobManifest.Problem"/> already checked), or resumes it: says which
    /// chunks are still missing. A blob already complete answers Complete with none missing. An upload in progress
    /// under another manifest of the same digest starts again under this one (the uploader says what it now means).
    /// </summary>
    Task<BlobUploadStatus> BeginAsync(BlobManifest manifest, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores chunk <paramref name="index"/> of an upload begun with <see cref="BeginAsync"/> if it is that chunk
    /// (<see cref="BlobManifest.IsChunk"/>); with the last chunk in, checks the whole digest and completes the blob.
    /// Null when no such upload was begun; a status with the chunk still missing when the bytes are not that chunk.
    /// When every chunk was in but together they are not the digest (a manifest that lied), the upload is discarded
    /// and the status is neither complete nor missing anything.
    /// </summary>
    Task<BlobUploadStatus?> PutChunkAsync(string digest, int index, ReadOnlyMemory<byte> chunk, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a whole blob streamed from <paramref name="content"/>, chunking it as it comes; keeps it only if its digest is
    /// <paramref name="digest"/> and it is no larger than <paramref name="maxSize"/>. Null (nothing kept) otherwise.
    /// </summary>
    Task<BlobManifest?> PutAsync(string digest, Stream content, long maxSize, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Chunk <paramref name="index"/> of a complete blob; null when there is no such blob or chunk.</summary>
    Task<byte[]?> ReadChunkAsync(string digest, int index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a complete blob as used at <paramref name="now"/> (a job submission names it), so that collection leaves it
    /// alone until a job records it; false when there is no such complete blob.
    /// </summary>
    Task<bool> TouchAsync(string digest, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Complete blobs and unfinished uploads last touched before <paramref name="before"/>.</summary>
    IAsyncEnumerable<string> ListUntouchedAsync(DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the blob, or its unfinished upload, if it is still untouched since before <paramref name="before"/>;
    /// false when it was touched meanwhile or is gone. A touch and a delete never both succeed.
    /// </summary>
    Task<bool> DeleteIfUntouchedAsync(string digest, DateTimeOffset before, CancellationToken cancellationToken = default);
}
