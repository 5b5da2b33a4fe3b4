using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// The embedded default's blobs, as files under a folder of the data folder (a single silo is their only reader and
/// writer). A complete blob is two files named by its digest's hex: the blob itself, and its manifest beside it, written
/// last, whose presence is what makes the blob complete. An upload in progress is a folder under uploads/ holding its
/// manifest and a file per chunk received. Every file is written crash-safely (<see cref="DurableFile"/>); a blob's
/// touched time is its manifest's last-write time.
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    private const string ManifestSuffix = ".manifest";
    private const string UploadManifest = "manifest";

    private readonly string _root;
    private readonly string _uploads;
    private readonly string _incoming;

    // One digest's blob and upload change under one lock (striped, so the locks stay few): chunk puts, completion,
    // touches and deletion of a digest never interleave.
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public FileBlobStore(string folder)
    {
        _root = folder;
        _uploads = Path.Combine(folder, "uploads");
        _incoming = Path.Combine(folder, "incoming");
    }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_uploads);
        // Whatever a crash left half-written: streamed blobs not yet verified, temporary files, and blob files whose
        // manifest was never written (the upload was never acknowledged).
        if (Directory.Exists(_incoming))
        {
            Directory.Delete(_incoming, recursive: true);
        }
        Directory.CreateDirectory(_incoming);
        foreach (var temporary in Directory.EnumerateFiles(_root, "*" + DurableFile.TemporarySuffix, SearchOption.AllDirectories))
        {
            File.Delete(temporary);
        }
        foreach (var blob in Directory.EnumerateFiles(_root))
        {
            if (Path.GetExtension(blob).Length == 0 && !File.Exists(blob + ManifestSuffix))
            {
                File.Delete(blob);
            }
        }
        return Task.CompletedTask;
    }

    public async Task<BlobManifest?> FindAsync(string digest, CancellationToken cancellationToken = default) =>
        ContentDigest.IsWellFormed(digest) ? await ReadManifestAsync(ManifestPath(digest), cancellationToken) : null;

    public async Task<BlobUploadStatus> BeginAsync(BlobManifest manifest, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (manifest.Problem(long.MaxValue) is { } problem)
        {
            throw new ArgumentException(problem, nameof(manifest));
        }
        using var _ = await LockAsync(manifest.Digest, cancellationToken);
        if (await ReadManifestAsync(ManifestPath(manifest.Digest), cancellationToken) is { } complete)
        {
            Touch(ManifestPath(manifest.Digest), now);
            return Complete(complete);
        }
        var upload = UploadFolder(manifest.Digest);
        var begun = await ReadManifestAsync(Path.Combine(upload, UploadManifest), cancellationToken);
        if (begun is null || !SameManifest(begun, manifest))
        {
            if (Directory.Exists(upload))
            {
                Directory.Delete(upload, recursive: true);
            }
            Directory.CreateDirectory(upload);
            await DurableFile.WriteAsync(Path.Combine(upload, UploadManifest), JsonSerializer.SerializeToUtf8Bytes(manifest, ProtocolJson.Options), cancellationToken);
            File.SetLastWriteTimeUtc(Path.Combine(upload, UploadManifest), now.UtcDateTime);
        }
        Touch(Path.Combine(upload, UploadManifest), now);
        return await StatusAsync(manifest, cancellationToken);
    }

    public async Task<BlobUploadStatus?> PutChunkAsync(
        string digest, int index, ReadOnlyMemory<byte> chunk, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return null;
        }
        using var _ = await LockAsync(digest, cancellationToken);
        if (await ReadManifestAsync(ManifestPath(digest), cancellationToken) is { } complete)
        {
            return Complete(complete);
        }
        var upload = UploadFolder(digest);
        if (await ReadManifestAsync(Path.Combine(upload, UploadManifest), cancellationToken) is not { } manifest)
        {
            return null;
        }
        if (manifest.IsChunk(index, chunk.Span))
        {
            var path = ChunkPath(upload, index);
            if (!File.Exists(path))
            {
                await DurableFile.WriteAsync(path, chunk, cancellationToken);
            }
            Touch(Path.Combine(upload, UploadManifest), now);
        }
        return await StatusAsync(manifest, cancellationToken);
    }

    public async Task<BlobManifest?> PutAsync(string digest, Stream content, long maxSize, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return null;
        }
        var file = DurableFile.CreateTemporary(_incoming);
        var path = file.Name;
        try
        {
            BlobManifest manifest;
            await using (file)
            {
                using var receiver = new BlobReceiver();
                while (await receiver.ReadChunkAsync(content, cancellationToken) is { IsEmpty: false } chunk)
                {
                    if (receiver.Size > maxSize)
                    {
                        return null;
                    }
                    await file.WriteAsync(chunk, cancellationToken);
                }
                manifest = receiver.Manifest();
                if (manifest.Digest != digest)
                {
                    return null;
                }
                file.Flush(flushToDisk: true);
            }
            using var _ = await LockAsync(digest, cancellationToken);
            if (await ReadManifestAsync(ManifestPath(digest), cancellationToken) is { } complete)
            {
                Touch(ManifestPath(digest), now);
                return complete;
            }
            await KeepAsync(path, manifest, now, cancellationToken);
            return manifest;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public async Task<byte[]?> ReadChunkAsync(string digest, int index, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest) || index < 0 || !File.Exists(ManifestPath(digest)))
        {
            return null;
        }
        try
        {
            // Shared with deletion: a chunk being read when its blob is collected is still read whole.
            await using var blob = new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, useAsync: true);
            var offset = (long)index * BlobManifest.DefaultChunkSize;
            if (offset >= blob.Length)
            {
                return null;
            }
            var chunk = new byte[(int)Math.Min(BlobManifest.DefaultChunkSize, blob.Length - offset)];
            blob.Position = offset;
            await blob.ReadExactlyAsync(chunk, cancellationToken);
            return chunk;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> TouchAsync(string digest, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return false;
        }
        using var _ = await LockAsync(digest, cancellationToken);
        if (!File.Exists(ManifestPath(digest)))
        {
            return false;
        }
        Touch(ManifestPath(digest), now);
        return true;
    }

    public IAsyncEnumerable<string> ListUntouchedAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        Untouched(before).ToAsyncEnumerable();

    private IEnumerable<string> Untouched(DateTimeOffset before)
    {
        var complete = Directory.EnumerateFiles(_root, "*" + ManifestSuffix).Select(path => (Hex: Path.GetFileName(path)[..^ManifestSuffix.Length], Touched: path));
        var uploads = Directory.EnumerateDirectories(_uploads).Select(path => (Hex: Path.GetFileName(path), Touched: Path.Combine(path, UploadManifest)));
        var listed = new HashSet<string>();
        foreach (var (hex, touched) in complete.Concat(uploads))
        {
            var digest = ContentDigest.Prefix + hex;
            if (ContentDigest.IsWellFormed(digest) && TouchedAt(touched) < before && listed.Add(digest))
            {
                yield return digest;
            }
        }
    }

    public async Task<bool> DeleteIfUntouchedAsync(string digest, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return false;
        }
        using var _ = await LockAsync(digest, cancellationToken);
        var manifest = ManifestPath(digest);
        var upload = UploadFolder(digest);
        var (isComplete, isUploading) = (File.Exists(manifest), Directory.Exists(upload));
        if ((!isComplete && !isUploading)
            || (isComplete && TouchedAt(manifest) >= before)
            || (isUploading && TouchedAt(Path.Combine(upload, UploadManifest)) >= before))
        {
            return false;
        }
        // The manifest first: without it the blob is no longer served, whatever happens to the rest.
        File.Delete(manifest);
        File.Delete(BlobPath(digest));
        if (isUploading)
        {
            Directory.Delete(upload, recursive: true);
        }
        return true;
    }

    /// <summary>Where an upload stands; with every chunk in, completes it (or discards it, when the chunks are not its digest).</summary>
    private async Task<BlobUploadStatus> StatusAsync(BlobManifest manifest, CancellationToken cancellationToken)
    {
        var upload = UploadFolder(manifest.Digest);
        var missing = Enumerable.Range(0, manifest.Chunks.Count).Where(i => !File.Exists(ChunkPath(upload, i))).ToList();
        if (missing.Count > 0)
        {
            return new BlobUploadStatus(manifest.Digest, manifest.Size, Complete: false, missing);
        }
        var file = DurableFile.CreateTemporary(_incoming);
        var path = file.Name;
        try
        {
            await using (file)
            {
                using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (var i = 0; i < manifest.Chunks.Count; i++)
                {
                    var chunk = await File.ReadAllBytesAsync(ChunkPath(upload, i), cancellationToken);
                    whole.AppendData(chunk);
                    await file.WriteAsync(chunk, cancellationToken);
                }
                if (ContentDigest.Prefix + Convert.ToHexStringLower(whole.GetHashAndReset()) != manifest.Digest)
                {
                    Directory.Delete(upload, recursive: true);
                    return new BlobUploadStatus(manifest.Digest, manifest.Size, Complete: false, []);
                }
                file.Flush(flushToDisk: true);
            }
            await KeepAsync(path, manifest, TouchedAt(Path.Combine(upload, UploadManifest)), cancellationToken);
            return Complete(manifest);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Moves a verified blob into place, then writes its manifest, which makes it complete. Under the digest's lock.</summary>
    private async Task KeepAsync(string verified, BlobManifest manifest, DateTimeOffset touched, CancellationToken cancellationToken)
    {
        File.Move(verified, BlobPath(manifest.Digest), overwrite: true);
        await DurableFile.WriteAsync(ManifestPath(manifest.Digest), JsonSerializer.SerializeToUtf8Bytes(manifest, ProtocolJson.Options), cancellationToken);
        File.SetLastWriteTimeUtc(ManifestPath(manifest.Digest), touched.UtcDateTime);
        if (Directory.Exists(UploadFolder(manifest.Digest)))
        {
            Directory.Delete(UploadFolder(manifest.Digest), recursive: true);
        }
    }

    private static BlobUploadStatus Complete(BlobManifest manifest) => new(manifest.Digest, manifest.Size, Complete: true, []);

    private static bool SameManifest(BlobManifest a, BlobManifest b) =>
        a.Digest == b.Digest && a.Size == b.Size && a.ChunkSize == b.ChunkSize && a.Chunks.SequenceEqual(b.Chunks);

    private static async Task<BlobManifest?> ReadManifestAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<BlobManifest>(file, ProtocolJson.Options, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Moves a touched time forward only: a late, earlier touch never shortens a blob's life.</summary>
    private static void Touch(string path, DateTimeOffset now)
    {
        if (now > TouchedAt(path))
        {
            File.SetLastWriteTimeUtc(path, now.UtcDateTime);
        }
    }

    // An upload folder whose manifest a crash never let be written counts as untouched since long ago.
    private static DateTimeOffset TouchedAt(string path) =>
        File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : DateTimeOffset.MinValue;

    private async Task<IDisposable> LockAsync(string digest, CancellationToken cancellationToken)
    {
        var gate = _locks[(uint)StringComparer.Ordinal.GetHashCode(digest) % _locks.Length];
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private static string Hex(string digest) => digest[ContentDigest.Prefix.Length..];

    private string BlobPath(string digest) => Path.Combine(_root, Hex(digest));

    private string ManifestPath(string digest) => BlobPath(digest) + ManifestSuffix;

    private string UploadFolder(string digest) => Path.Combine(_uploads, Hex(digest));

    private static string ChunkPath(string upload, int index) => Path.Combine(upload, index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
