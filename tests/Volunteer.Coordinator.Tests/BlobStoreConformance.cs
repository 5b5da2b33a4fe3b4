using Volunteer.Coordinator.Blobs;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IBlobStore"/> must do: uploads resumable chunk by chunk, each chunk checked against the manifest
/// and the whole against its digest before the blob is served; whole blobs streamed in, kept only when they are their
/// digest and within the size allowed; and what blob collection needs (touch, list, delete what is still untouched).
/// </summary>
public abstract class BlobStoreConformance : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private const int Chunk = BlobManifest.DefaultChunkSize;

    protected IBlobStore Blobs { get; private set; } = null!;

    protected abstract Task<IBlobStore> CreateAsync();

    protected virtual Task DropAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Blobs = await CreateAsync();
        await Blobs.InitializeAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => DropAsync();

    [Fact]
    public async Task An_upload_resumes_where_it_stopped_and_the_blob_is_served_only_once_its_last_chunk_is_in()
    {
        var content = Content(1, 2 * Chunk + 1000);
        var manifest = BlobManifest.Of(content);

        Assert.Equal(Status(manifest, 0, 1, 2), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);
        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, 2, ChunkOf(content, 2), Now), StatusComparer.Instance);
        // Begun again (say after the uploader restarted): only what is still missing.
        Assert.Equal(Status(manifest, 0, 1), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);
        Assert.Equal(Status(manifest, 1), await Blobs.PutChunkAsync(manifest.Digest, 0, ChunkOf(content, 0), Now), StatusComparer.Instance);
        Assert.Null(await Blobs.FindAsync(manifest.Digest));
        Assert.Null(await Blobs.ReadChunkAsync(manifest.Digest, 0));

        Assert.Equal(Completed(manifest), await Blobs.PutChunkAsync(manifest.Digest, 1, ChunkOf(content, 1), Now), StatusComparer.Instance);

        Assert.Equal(manifest, await Blobs.FindAsync(manifest.Digest), ManifestComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
        Assert.Null(await Blobs.ReadChunkAsync(manifest.Digest, 3));
        Assert.Equal(Completed(manifest), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);
        Assert.Equal(Completed(manifest), await Blobs.PutChunkAsync(manifest.Digest, 1, ChunkOf(content, 1), Now), StatusComparer.Instance);
    }

    [Fact]
    public async Task A_chunk_that_is_not_the_manifests_is_refused_and_still_missing()
    {
        var content = Content(2, 2 * Chunk);
        var manifest = BlobManifest.Of(content);
        await Blobs.BeginAsync(manifest, Now);

        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, 0, ChunkOf(content, 1), Now), StatusComparer.Instance);
        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, 0, ChunkOf(content, 0)[..^1], Now), StatusComparer.Instance);
        var flipped = ChunkOf(content, 0).ToArray();
        flipped[12345] ^= 1;
        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, 0, flipped, Now), StatusComparer.Instance);
        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, 2, ChunkOf(content, 0), Now), StatusComparer.Instance);
        Assert.Equal(Status(manifest, 0, 1), await Blobs.PutChunkAsync(manifest.Digest, -1, ChunkOf(content, 0), Now), StatusComparer.Instance);

        Assert.Equal(Status(manifest, 1), await Blobs.PutChunkAsync(manifest.Digest, 0, ChunkOf(content, 0), Now), StatusComparer.Instance);
        Assert.Equal(Completed(manifest), await Blobs.PutChunkAsync(manifest.Digest, 1, ChunkOf(content, 1), Now), StatusComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
    }

    [Fact]
    public async Task A_chunk_of_an_upload_never_begun_is_not_taken()
    {
        var content = Content(3, 1000);
        var manifest = BlobManifest.Of(content);

        Assert.Null(await Blobs.PutChunkAsync(manifest.Digest, 0, content, Now));
        Assert.Null(await Blobs.FindAsync(manifest.Digest));
    }

    [Fact]
    public async Task Chunks_that_do_not_add_up_to_the_digest_never_become_a_blob()
    {
        // Every chunk digest is right, the whole digest is another blob's: the lie shows only once all are in.
        var content = Content(4, Chunk + 10);
        var lying = BlobManifest.Of(content) with { Digest = ContentDigest.Of(Content(5, Chunk + 10)) };
        await Blobs.BeginAsync(lying, Now);
        await Blobs.PutChunkAsync(lying.Digest, 0, ChunkOf(content, 0), Now);

        var status = await Blobs.PutChunkAsync(lying.Digest, 1, ChunkOf(content, 1), Now);

        Assert.Equal(new BlobUploadStatus(lying.Digest, lying.Size, Complete: false, []), status, StatusComparer.Instance);
        Assert.Null(await Blobs.FindAsync(lying.Digest));
        Assert.Null(await Blobs.ReadChunkAsync(lying.Digest, 0));
        Assert.False(await Blobs.TouchAsync(lying.Digest, Now));
        // Discarded: its chunks are not taken any more.
        Assert.Null(await Blobs.PutChunkAsync(lying.Digest, 0, ChunkOf(content, 0), Now));
    }

    [Fact]
    public async Task An_empty_blob_is_complete_as_soon_as_it_is_begun_and_only_under_its_own_digest()
    {
        var empty = BlobManifest.Of([]);
        var notEmpty = empty with { Digest = ContentDigest.Of([1]) };

        Assert.Equal(Completed(empty), await Blobs.BeginAsync(empty, Now), StatusComparer.Instance);
        Assert.Equal(new BlobUploadStatus(notEmpty.Digest, 0, Complete: false, []), await Blobs.BeginAsync(notEmpty, Now), StatusComparer.Instance);

        Assert.Equal(empty, await Blobs.FindAsync(empty.Digest), ManifestComparer.Instance);
        Assert.Null(await Blobs.ReadChunkAsync(empty.Digest, 0));
        Assert.Null(await Blobs.FindAsync(notEmpty.Digest));
    }

    [Fact]
    public async Task An_upload_begun_under_another_manifest_of_the_digest_starts_again()
    {
        var content = Content(6, 2 * Chunk);
        var manifest = BlobManifest.Of(content);
        var mistaken = manifest with { Chunks = [manifest.Chunks[1], manifest.Chunks[0]] };
        await Blobs.BeginAsync(mistaken, Now);
        Assert.Equal(Status(mistaken, 1), await Blobs.PutChunkAsync(mistaken.Digest, 0, ChunkOf(content, 1), Now), StatusComparer.Instance);

        Assert.Equal(Status(manifest, 0, 1), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);
        await Blobs.PutChunkAsync(manifest.Digest, 0, ChunkOf(content, 0), Now);
        Assert.Equal(Completed(manifest), await Blobs.PutChunkAsync(manifest.Digest, 1, ChunkOf(content, 1), Now), StatusComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
    }

    [Fact]
    public async Task A_streamed_blob_is_kept_chunked_when_it_is_its_digest()
    {
        var content = Content(7, 3 * Chunk + 17);
        var manifest = BlobManifest.Of(content);

        var stored = await Blobs.PutAsync(manifest.Digest, new MemoryStream(content), content.Length, Now);

        Assert.Equal(manifest, stored, ManifestComparer.Instance);
        Assert.Equal(manifest, await Blobs.FindAsync(manifest.Digest), ManifestComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
        // The same blob again: still kept once, and still itself.
        Assert.Equal(manifest, await Blobs.PutAsync(manifest.Digest, new MemoryStream(content), content.Length, Now), ManifestComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
    }

    [Fact]
    public async Task A_streamed_blob_that_is_not_its_digest_or_too_large_is_not_kept()
    {
        var content = Content(8, 2 * Chunk + 5);
        var manifest = BlobManifest.Of(content);
        var other = Content(9, 2 * Chunk + 5);

        Assert.Null(await Blobs.PutAsync(manifest.Digest, new MemoryStream(other), long.MaxValue, Now));
        Assert.Null(await Blobs.PutAsync(manifest.Digest, new MemoryStream(content), content.Length - 1, Now));
        Assert.Null(await Blobs.PutAsync(manifest.Digest, new MemoryStream(content), Chunk, Now));
        Assert.Null(await Blobs.PutAsync("sha256:not-a-digest", new MemoryStream(content), long.MaxValue, Now));

        Assert.Null(await Blobs.FindAsync(manifest.Digest));
        Assert.Null(await Blobs.ReadChunkAsync(manifest.Digest, 0));
        Assert.Empty(await Blobs.ListUntouchedAsync(DateTimeOffset.MaxValue).ToListAsync());
    }

    [Fact]
    public async Task A_streamed_blob_completes_an_upload_in_progress_and_a_refused_one_leaves_it_as_it_was()
    {
        var content = Content(10, 2 * Chunk);
        var manifest = BlobManifest.Of(content);
        await Blobs.BeginAsync(manifest, Now);
        await Blobs.PutChunkAsync(manifest.Digest, 1, ChunkOf(content, 1), Now);

        var wrong = content.ToArray();
        wrong[^1] ^= 1;
        Assert.Null(await Blobs.PutAsync(manifest.Digest, new MemoryStream(wrong), long.MaxValue, Now));
        Assert.Equal(Status(manifest, 0), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);

        Assert.Equal(manifest, await Blobs.PutAsync(manifest.Digest, new MemoryStream(content), long.MaxValue, Now), ManifestComparer.Instance);
        Assert.Equal(Completed(manifest), await Blobs.BeginAsync(manifest, Now), StatusComparer.Instance);
        Assert.Equal(content, await ReadWholeAsync(manifest));
    }

    [Fact]
    public async Task Collection_finds_what_was_untouched_and_deletes_only_what_is_still_untouched()
    {
        var old = await PutAsync(11, Now);
        var touchedLater = await PutAsync(12, Now);
        var recent = await PutAsync(13, Now.AddHours(2));
        var unfinished = BlobManifest.Of(Content(14, Chunk + 1));
        await Blobs.BeginAsync(unfinished, Now);
        await Blobs.PutChunkAsync(unfinished.Digest, 0, ChunkOf(Content(14, Chunk + 1), 0), Now);

        Assert.True(await Blobs.TouchAsync(touchedLater.Digest, Now.AddHours(3)));
        Assert.False(await Blobs.TouchAsync(unfinished.Digest, Now.AddHours(3)));
        Assert.False(await Blobs.TouchAsync(ContentDigest.Of([42]), Now.AddHours(3)));
        // A touch never moves a blob's time back.
        Assert.True(await Blobs.TouchAsync(recent.Digest, Now));
        var before = Now.AddHours(1);
        Assert.Equal(
            new[] { old.Digest, unfinished.Digest }.Order(StringComparer.Ordinal),
            (await Blobs.ListUntouchedAsync(before).ToListAsync()).Order(StringComparer.Ordinal));

        // Touched between the listing and the deletion (a job submission naming it): kept.
        Assert.True(await Blobs.TouchAsync(old.Digest, Now.AddHours(4)));
        Assert.False(await Blobs.DeleteIfUntouchedAsync(old.Digest, before));
        Assert.False(await Blobs.DeleteIfUntouchedAsync(recent.Digest, before));
        Assert.True(await Blobs.DeleteIfUntouchedAsync(unfinished.Digest, before));
        Assert.False(await Blobs.DeleteIfUntouchedAsync(unfinished.Digest, before));

        Assert.Null(await Blobs.PutChunkAsync(unfinished.Digest, 1, ChunkOf(Content(14, Chunk + 1), 1), Now));
        Assert.True(await Blobs.DeleteIfUntouchedAsync(old.Digest, Now.AddHours(5)));
        Assert.Null(await Blobs.FindAsync(old.Digest));
        Assert.Null(await Blobs.ReadChunkAsync(old.Digest, 0));
        Assert.False(await Blobs.TouchAsync(old.Digest, Now.AddHours(6)));
        Assert.NotNull(await Blobs.FindAsync(recent.Digest));
        Assert.Equal(
            new[] { touchedLater.Digest, recent.Digest }.Order(StringComparer.Ordinal),
            (await Blobs.ListUntouchedAsync(Now.AddHours(5)).ToListAsync()).Order(StringComparer.Ordinal));
    }

    protected async Task<BlobManifest> PutAsync(int seed, DateTimeOffset at)
    {
        var content = Content(seed, Chunk + seed);
        return (await Blobs.PutAsync(ContentDigest.Of(content), new MemoryStream(content), long.MaxValue, at))!;
    }

    protected async Task<byte[]> ReadWholeAsync(BlobManifest manifest)
    {
        var whole = new List<byte>();
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            whole.AddRange((await Blobs.ReadChunkAsync(manifest.Digest, i))!);
        }
        return [.. whole];
    }

    protected static byte[] Content(int seed, int length)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    private static byte[] ChunkOf(byte[] content, int index) => content.AsSpan(index * Chunk, Math.Min(Chunk, content.Length - index * Chunk)).ToArray();

    private static BlobUploadStatus Status(BlobManifest manifest, params int[] missing) => new(manifest.Digest, manifest.Size, Complete: false, missing);

    private static BlobUploadStatus Completed(BlobManifest manifest) => new(manifest.Digest, manifest.Size, Complete: true, []);

    /// <summary>Statuses compare by their fields, the missing chunks by their sequence (a record compares lists by reference).</summary>
    private sealed class StatusComparer : IEqualityComparer<BlobUploadStatus?>
    {
        public static readonly StatusComparer Instance = new();

        public bool Equals(BlobUploadStatus? x, BlobUploadStatus? y) =>
            x is not null && y is not null && x.Digest == y.Digest && x.Size == y.Size && x.Complete == y.Complete
            && x.MissingChunks.SequenceEqual(y.MissingChunks);

        public int GetHashCode(BlobUploadStatus? obj) => obj?.Digest.GetHashCode(StringComparison.Ordinal) ?? 0;
    }

    private sealed class ManifestComparer : IEqualityComparer<BlobManifest?>
    {
        public static readonly ManifestComparer Instance = new();

        public bool Equals(BlobManifest? x, BlobManifest? y) =>
            x is not null && y is not null && x.Digest == y.Digest && x.Size == y.Size && x.ChunkSize == y.ChunkSize && x.Chunks.SequenceEqual(y.Chunks);

        public int GetHashCode(BlobManifest? obj) => obj?.Digest.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}

public sealed class FileBlobStoreTests : BlobStoreConformance
{
    private readonly string _folder = TestFolders.Create("blobs");

    protected override Task<IBlobStore> CreateAsync() => Task.FromResult<IBlobStore>(new FileBlobStore(_folder));

    protected override Task DropAsync()
    {
        TestFolders.Delete(_folder);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_restart_keeps_complete_blobs_and_uploads_and_clears_what_a_crash_left_half_written()
    {
        var kept = await PutAsync(20, Now);
        var unfinished = BlobManifest.Of(Content(21, 2000));
        await Blobs.BeginAsync(unfinished, Now);
        // A blob moved into place whose manifest a crash kept from being written, and files being written at the crash.
        var orphan = Path.Combine(_folder, new string('e', 64));
        await File.WriteAllBytesAsync(orphan, [1, 2, 3]);
        await File.WriteAllBytesAsync(Path.Combine(_folder, "incoming", "0123.tmp"), [4]);
        await File.WriteAllBytesAsync(Path.Combine(_folder, new string('f', 64) + ".manifest.1234.tmp"), [5]);

        var restarted = new FileBlobStore(_folder);
        await restarted.InitializeAsync(CancellationToken.None);

        Assert.Equal(kept.Digest, (await restarted.FindAsync(kept.Digest))?.Digest);
        Assert.Equal(new BlobUploadStatus(unfinished.Digest, 2000, false, [0]).MissingChunks, (await restarted.BeginAsync(unfinished, Now)).MissingChunks);
        Assert.False(File.Exists(orphan));
        Assert.Empty(Directory.EnumerateFiles(_folder, "*.tmp", SearchOption.AllDirectories));
        Assert.Null(await restarted.FindAsync("sha256:" + new string('e', 64)));
    }

    [Fact]
    public async Task A_malformed_digest_names_no_file()
    {
        Assert.Null(await Blobs.FindAsync("sha256:../../volunteer.db"));
        Assert.Null(await Blobs.ReadChunkAsync("../volunteer", 0));
        Assert.Null(await Blobs.PutChunkAsync("sha256:..", 0, new byte[1], Now));
        Assert.False(await Blobs.TouchAsync("sha256:/etc/passwd", Now));
        Assert.False(await Blobs.DeleteIfUntouchedAsync("sha256:..", DateTimeOffset.MaxValue));
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresBlobStoreTests(PostgresServer server) : BlobStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override async Task<IBlobStore> CreateAsync()
    {
        // The blob tables come with the store's schema.
        var store = await _store.CreateAsync();
        await store.InitializeAsync(CancellationToken.None);
        await ((IAsyncDisposable)store).DisposeAsync();
        return new PostgresBlobStore(_store.DataSource!);
    }

    protected override Task DropAsync() => _store.DropAsync();
}
