using Microsoft.Extensions.Time.Testing;
using Volunteer.Protocol;
using Volunteer.Worker.Peers;
using static Volunteer.Worker.Tests.Peers.TestBlobs;

namespace Volunteer.Worker.Tests.Peers;

public sealed class BlobCacheTests : IDisposable
{
    private static readonly Guid Job = Guid.Parse("11111111-0000-0000-0000-000000000000");

    private readonly TempDirectory _state = new();
    private readonly FakeTimeProvider _time = new(AgentUnderTest.StartTime);

    [Fact]
    public void A_fetch_cut_short_resumes_with_the_chunks_still_missing_and_the_blob_is_visible_only_once_whole()
    {
        var content = Of(2 * Chunk + 100, seed: 1);
        var manifest = BlobManifest.Of(content);
        var cache = Cache();
        using (var partial = cache.BeginFetch(manifest)!)
        {
            Assert.Equal([0, 1, 2], partial.Missing);
            Assert.True(partial.TryPut(2, ChunkOf(content, 2)));
            Assert.True(partial.TryPut(0, ChunkOf(content, 0)));
        }
        Assert.False(cache.Holds(manifest.Digest));
        Assert.Null(cache.OpenRead(manifest.Digest));
        Assert.Equal(ChunkOf(content, 2), cache.ReadChunk(manifest.Digest, 2));
        Assert.Null(cache.ReadChunk(manifest.Digest, 1));

        var restarted = Cache();
        using (var partial = restarted.BeginFetch(manifest)!)
        {
            Assert.Equal([1], partial.Missing);
            Assert.True(partial.TryPut(1, ChunkOf(content, 1)));
            partial.Publish();
        }

        Assert.True(restarted.Holds(manifest.Digest));
        Assert.Equal(content, Read(restarted.OpenRead(manifest.Digest)!));
        Assert.Equal(content, Read(Cache().OpenRead(manifest.Digest)!));
        Assert.Null(Cache().BeginFetch(manifest));
    }

    [Fact]
    public void Bytes_that_are_not_the_chunk_are_refused_and_nothing_of_them_is_kept()
    {
        var content = Of(2 * Chunk + 100, seed: 2);
        var manifest = BlobManifest.Of(content);
        var corrupted = ChunkOf(content, 1);
        corrupted[12345] ^= 0xff;
        using (var partial = Cache().BeginFetch(manifest)!)
        {
            Assert.True(partial.TryPut(0, ChunkOf(content, 0)));
            Assert.True(partial.TryPut(2, ChunkOf(content, 2)));

            Assert.False(partial.TryPut(1, corrupted));
            Assert.False(partial.TryPut(1, ChunkOf(content, 0)));
            Assert.False(partial.TryPut(1, [.. ChunkOf(content, 1), 0]));
            Assert.False(partial.TryPut(3, ChunkOf(content, 2)));
            Assert.Throws<InvalidOperationException>(partial.Publish);
        }

        using var resumed = Cache().BeginFetch(manifest)!;
        Assert.Equal([1], resumed.Missing);
    }

    [Fact]
    public void Chunks_that_match_their_manifest_but_not_its_digest_are_never_visible_and_are_dropped()
    {
        var content = Of(Chunk + 10, seed: 3);
        var lying = BlobManifest.Of(content) with { Digest = BlobManifest.Of(Of(Chunk + 10, seed: 4)).Digest };
        var cache = Cache();
        using (var partial = cache.BeginFetch(lying)!)
        {
            Assert.True(partial.TryPut(0, ChunkOf(content, 0)));
            Assert.True(partial.TryPut(1, ChunkOf(content, 1)));
            Assert.Throws<InvalidDataException>(partial.Publish);
        }

        Assert.False(cache.Holds(lying.Digest));
        Assert.Equal(0, cache.UsedBytes);
        using var again = Cache().BeginFetch(lying)!;
        Assert.Equal([0, 1], again.Missing);
    }

    [Fact]
    public void Least_recently_used_blobs_make_room_unless_a_lease_or_an_unreleased_result_pins_them()
    {
        var cache = Cache(capacity: 3 * Chunk);
        var a = Hold(cache, Of(Chunk, 10));
        _time.Advance(TimeSpan.FromMinutes(1));
        var b = Hold(cache, Of(Chunk, 11));
        _time.Advance(TimeSpan.FromMinutes(1));
        var c = Hold(cache, Of(Chunk, 12));
        _time.Advance(TimeSpan.FromMinutes(1));
        Read(cache.OpenRead(a.Digest)!);
        var lease = new ReplicaRef(Job, 0, 0);
        cache.PinForLease(lease, [b.Digest]);

        _time.Advance(TimeSpan.FromMinutes(1));
        var d = Hold(cache, Of(Chunk, 13));
        // B is the least recently used, but a leased unit reads it; C is next.
        Assert.Equal([true, true, false, true], Held(cache, a, b, c, d));

        _time.Advance(TimeSpan.FromMinutes(1));
        var resultOfE = new ReplicaRef(Job, 1, 0);
        var e = cache.StoreResult(resultOfE, Of(Chunk, 14));
        Assert.Equal([false, true, true, true], Held(cache, a, b, d, e));

        cache.UnpinLease(lease);
        _time.Advance(TimeSpan.FromMinutes(1));
        var f = Hold(cache, Of(Chunk, 15));
        Assert.Equal([false, true, true, true], Held(cache, b, d, e, f));

        _time.Advance(TimeSpan.FromMinutes(1));
        var g = Hold(cache, Of(Chunk, 16));
        // E is older than F, but the coordinator has not taken it yet.
        Assert.Equal([false, true, true, true], Held(cache, d, e, f, g));

        cache.Release([e.Digest]);
        _time.Advance(TimeSpan.FromMinutes(1));
        var h = Hold(cache, Of(Chunk, 17));
        Assert.Equal([false, true, true, true], Held(cache, e, f, g, h));
        Assert.Equal(3L * Chunk, cache.UsedBytes);
    }

    [Fact]
    public void A_smaller_capacity_evicts_the_least_recently_used_blobs_at_once_but_not_what_a_lease_pins()
    {
        var cache = Cache(capacity: 4 * Chunk);
        var a = Hold(cache, Of(Chunk, 20));
        _time.Advance(TimeSpan.FromMinutes(1));
        var b = Hold(cache, Of(Chunk, 21));
        _time.Advance(TimeSpan.FromMinutes(1));
        var c = Hold(cache, Of(Chunk, 22));
        cache.PinForLease(new ReplicaRef(Job, 0, 0), [a.Digest]);

        cache.Resize(2 * Chunk);

        // A is the oldest, but a leased unit reads it: B goes, and the cache fits.
        Assert.Equal([true, false, true], Held(cache, a, b, c));
        Assert.Equal((2L * Chunk, 2L * Chunk), (cache.UsedBytes, cache.Capacity));

        // Below what is pinned: everything else goes, the pinned blob stays, and nothing new fits until it is unpinned.
        cache.Resize(Chunk / 2);
        Assert.Equal([true, false], Held(cache, a, c));
        Assert.Throws<BlobCacheFullException>(() => Hold(cache, Of(Chunk, 23)));
    }

    [Fact]
    public void A_result_pin_lapses_after_a_day_and_survives_a_restart_until_then()
    {
        var result = Cache(capacity: Chunk).StoreResult(new ReplicaRef(Job, 0, 0), Of(Chunk, 20));
        var next = BlobManifest.Of(Of(Chunk, 21));

        Assert.Throws<BlobCacheFullException>(() => Cache(capacity: Chunk).BeginFetch(next));

        _time.Advance(BlobCache.ResultPinLifetime);
        var restarted = Cache(capacity: Chunk);
        Hold(restarted, Of(Chunk, 21));
        Assert.Equal([false, true], Held(restarted, result, next));
    }

    [Fact]
    public void A_cancelled_lease_or_a_refused_report_unpins_its_result()
    {
        var cache = Cache(capacity: 2 * Chunk);
        var cancelled = cache.StoreResult(new ReplicaRef(Job, 0, 0), Of(Chunk, 30));
        var refused = cache.StoreResult(new ReplicaRef(Job, 1, 0), Of(Chunk, 31));

        cache.ReleaseResultOf(new ReplicaRef(Job, 0, 0));
        var third = Hold(cache, Of(Chunk, 32));
        Assert.Equal([false, true, true], Held(cache, cancelled, refused, third));

        cache.PinForLease(new ReplicaRef(Job, 9, 0), [third.Digest]);
        cache.ReleaseResultOf(new ReplicaRef(Job, 1, 0));
        var fourth = Hold(cache, Of(Chunk, 33));
        Assert.Equal([false, true, true], Held(cache, refused, third, fourth));
    }

    [Fact]
    public void A_blob_that_cannot_fit_is_refused_and_evicts_nothing()
    {
        var cache = Cache(capacity: 2 * Chunk);
        var pinned = cache.StoreResult(new ReplicaRef(Job, 0, 0), Of(Chunk, 40));
        var unpinned = Hold(cache, Of(Chunk, 41));

        var tooLarge = Assert.Throws<BlobCacheFullException>(() => cache.BeginFetch(BlobManifest.Of(Of(2 * Chunk, 42))));
        Assert.Equal(
            $"The blob cache has no room for {2 * Chunk} more bytes: {Chunk} of its {2 * Chunk} bytes hold blobs that leased units read or results the project has not taken yet.",
            tooLarge.Message);
        Assert.Equal([true, false], Held(cache, pinned, unpinned));
        Assert.Equal(Chunk, cache.UsedBytes);
    }

    [Fact]
    public void The_first_advert_lists_everything_held_and_later_ones_the_changes_the_coordinator_has_not_answered()
    {
        var a = Hold(Cache(capacity: 2 * Chunk), Of(Chunk, 50));
        var cache = Cache(capacity: 2 * Chunk);

        var first = cache.Advert(max: 100);
        Assert.Equal(Expected([a], [], complete: true), Told(first));
        cache.Advertised(first);
        Assert.Equal(Expected([], [], complete: false), Told(cache.Advert(max: 100)));

        _time.Advance(TimeSpan.FromMinutes(1));
        var b = Hold(cache, Of(Chunk, 51));
        _time.Advance(TimeSpan.FromMinutes(1));
        var c = Hold(cache, Of(Chunk, 52));
        var unanswered = cache.Advert(max: 100);
        Assert.Equal(Expected([b, c], [a], complete: false), Told(unanswered));

        // Taken, but its sync got no answer: told again.
        Assert.Equal(Told(unanswered), Told(cache.Advert(max: 100)));

        var d = Hold(cache, Of(Chunk, 53));
        cache.Advertised(unanswered);
        Assert.Equal(Expected([d], [b], complete: false), Told(cache.Advert(max: 100)));

        cache.SendEverything();
        Assert.Equal(Expected([c, d], [], complete: true), Told(cache.Advert(max: 100)));
        Assert.Equal(Expected([c], [], complete: true), Told(cache.Advert(max: 1)));
    }

    public void Dispose() => _state.Dispose();

    private BlobCache Cache(long capacity = 64L * Chunk) => new(_state.Path, capacity, _time);

    private static bool[] Held(BlobCache cache, params BlobManifest[] blobs) => [.. blobs.Select(b => cache.Holds(b.Digest))];

    private static string Told(HoldingsAdvert advert) => Described(advert.Added, advert.Removed, advert.Complete);

    private static string Expected(BlobManifest[] added, BlobManifest[] removed, bool complete) =>
        Described([.. added.Select(b => b.Digest)], [.. removed.Select(b => b.Digest)], complete);

    private static string Described(IReadOnlyList<string> added, IReadOnlyList<string> removed, bool complete) =>
        $"added [{string.Join(", ", added)}] removed [{string.Join(", ", removed)}]{(complete ? " (everything)" : "")}";
}
