using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Settings;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Sdk;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// Blob collection over each store and its blob store: it deletes blobs and unfinished uploads that no job needs and
/// nobody touched for the unclaimed lifetime, and nothing else.
/// </summary>
public abstract class BlobCollectionTests : StoreLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    protected abstract Task<IBlobStore> CreateBlobStoreAsync();

    [Fact]
    public async Task Collection_deletes_only_what_no_job_needs_and_nobody_touched_for_the_unclaimed_lifetime()
    {
        var blobs = await CreateBlobStoreAsync();
        var collector = new BlobCollector(blobs, Store, Options.Create(new VolunteerOptions { UnclaimedBlobLifetime = TimeSpan.FromDays(1) }),
            _time, NullLogger<BlobCollector>.Instance);
        var (runningInput, finishedInput, result, resultFile) = (await PutAsync(blobs, 1), await PutAsync(blobs, 2), await PutAsync(blobs, 3), await PutAsync(blobs, 4));
        var (unclaimed, named) = (await PutAsync(blobs, 5), await PutAsync(blobs, 7));
        var unfinished = BlobManifest.Of(Bytes(8, 2 * BlobManifest.DefaultChunkSize));
        await blobs.BeginAsync(unfinished, Start);
        var running = Job(JobState.Running);
        var completed = Job(JobState.Completed);
        var batch = new WorkBatch();
        batch.Jobs.AddRange([running, completed]);
        batch.JobBlobs.AddRange(
        [
            new(running.Id, runningInput, JobBlobUse.Input), new(completed.Id, finishedInput, JobBlobUse.Input),
            new(completed.Id, result, JobBlobUse.Result), new(completed.Id, resultFile, JobBlobUse.ResultFile),
        ]);
        await Store.CommitAsync(batch);
        _time.Advance(TimeSpan.FromHours(23));
        var recent = await PutAsync(blobs, 6);
        _time.Advance(TimeSpan.FromHours(2));
        // A submission named it just now; its job is not recorded yet.
        Assert.True(await blobs.TouchAsync(named, _time.GetUtcNow()));

        Assert.Equal(3, await collector.CollectAsync(CancellationToken.None));

        Assert.Equal([runningInput, result, resultFile, recent, named], await CompleteAsync(blobs, runningInput, finishedInput, result, resultFile, unclaimed, recent, named));
        Assert.Null(await blobs.PutChunkAsync(unfinished.Digest, 0, Bytes(8, BlobManifest.DefaultChunkSize), _time.GetUtcNow()));
        Assert.Equal(0, await collector.CollectAsync(CancellationToken.None));

        // A day later the recent blob and the named one (whose job never came) are unclaimed; once the running job
        // ends, its input too. Results stay with their job.
        var ended = new WorkBatch();
        ended.Jobs.Add(running with { State = JobState.Cancelled, FinishedAt = _time.GetUtcNow() });
        await Store.CommitAsync(ended);
        _time.Advance(TimeSpan.FromHours(25));
        Assert.Equal(3, await collector.CollectAsync(CancellationToken.None));
        Assert.Equal([result, resultFile], await CompleteAsync(blobs, runningInput, result, resultFile, recent, named));
    }

    private async Task<string> PutAsync(IBlobStore blobs, int seed)
    {
        var content = Bytes(seed, 1000 + seed);
        return (await blobs.PutAsync(ContentDigest.Of(content), new MemoryStream(content), long.MaxValue, _time.GetUtcNow()))!.Digest;
    }

    private static async Task<List<string>> CompleteAsync(IBlobStore blobs, params string[] digests)
    {
        var complete = new List<string>();
        foreach (var digest in digests)
        {
            if (await blobs.FindAsync(digest) is not null)
            {
                complete.Add(digest);
            }
        }
        return complete;
    }

    private static byte[] Bytes(int seed, int length)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    private static JobRecord Job(JobState state) => new(Guid.NewGuid(), "motifs", "{}", new Redundancy(2, 2, 3, 6), 3600, 0, 4, 0, 0, 0,
        state, "{}", null, Start, state == JobState.Running ? null : Start);
}

public sealed class SqliteBlobCollectionTests : BlobCollectionTests
{
    private readonly SqliteTestStore _store = new("collection");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override async Task<IBlobStore> CreateBlobStoreAsync()
    {
        var blobs = new FileBlobStore(Path.Combine(_store.Directory, "blobs"));
        await blobs.InitializeAsync(CancellationToken.None);
        return blobs;
    }

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresBlobCollectionTests(PostgresServer server) : BlobCollectionTests
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task<IBlobStore> CreateBlobStoreAsync() => Task.FromResult<IBlobStore>(new PostgresBlobStore(_store.DataSource!));

    protected override Task DropStoreAsync() => _store.DropAsync();
}
