using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must keep for peer-assisted relay: each job's relay figures added up stretch by
/// stretch, the blobs each job needs, and from those which blobs no job needs any more.
/// </summary>
public abstract class RelayStoreConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static readonly string Sequence = Digest('a');
    private static readonly string Tile = Digest('b');
    private static readonly string Image = Digest('c');

    /// <summary>Holds every write of the store's group commit off until disposed (see <see cref="CreditStoreConformance"/>).</summary>
    protected abstract Task<IAsyncDisposable> HoldWritesAsync();

    [Fact]
    public async Task A_jobs_relay_figures_add_up_stretch_by_stretch()
    {
        var (job, other) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.Null(await Store.FindJobRelayAsync(job));

        await Commit(b => b.Relay.Add(new JobRelayRecord(job, new JobRelay(1_048_576, 0, 0, 0, 0))));
        await Commit(b => b.Relay.AddRange(
        [
            new JobRelayRecord(job, new JobRelay(0, 3_145_728, 2, 0, 0)),
            new JobRelayRecord(other, new JobRelay(5, 0, 0, 0, 0)),
            new JobRelayRecord(job, new JobRelay(10, 20, 1, 3, 4)),
        ]));

        Assert.Equal(new JobRelayRecord(job, new JobRelay(1_048_586, 3_145_748, 3, 3, 4)), await Store.FindJobRelayAsync(job));
        Assert.Equal(new JobRelayRecord(other, new JobRelay(5, 0, 0, 0, 0)), await Store.FindJobRelayAsync(other));
    }

    [Fact]
    public async Task Stretches_of_one_job_committed_in_one_group_add_up()
    {
        var job = Guid.NewGuid();
        var commits = new List<Task>();
        await using (await HoldWritesAsync())
        {
            commits.Add(Commit(b => b.Relay.Add(new JobRelayRecord(Guid.NewGuid(), new JobRelay(1, 1, 1, 1, 1)))));
            commits.AddRange(Enumerable.Range(1, 5).Select(i => Commit(b => b.Relay.Add(new JobRelayRecord(job, new JobRelay(i, 2 * i, 0, 1, 0))))));
        }
        await Task.WhenAll(commits);

        Assert.Equal(new JobRelayRecord(job, new JobRelay(15, 30, 0, 5, 0)), await Store.FindJobRelayAsync(job));
    }

    [Fact]
    public async Task A_jobs_blobs_are_recorded_once_and_listed_by_use()
    {
        var job = RunningJob();
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.JobBlobs.AddRange([new(job.Id, Sequence, JobBlobUse.Input), new(job.Id, Tile, JobBlobUse.Result), new(job.Id, Tile, JobBlobUse.Result)]);
        });
        await Commit(b => b.JobBlobs.AddRange([new(job.Id, Image, JobBlobUse.ResultFile), new(job.Id, Sequence, JobBlobUse.Input)]));

        Assert.Equal(
            [new(job.Id, Sequence, JobBlobUse.Input), new(job.Id, Tile, JobBlobUse.Result), new(job.Id, Image, JobBlobUse.ResultFile)],
            await Store.ListJobBlobsAsync(job.Id));
        Assert.Equal([new JobBlobRecord(job.Id, Image, JobBlobUse.ResultFile)], await Store.ListJobBlobsAsync(job.Id, JobBlobUse.ResultFile));
        Assert.Empty(await Store.ListJobBlobsAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task A_blob_is_needed_as_the_input_of_a_running_job_and_as_a_result_of_any_job()
    {
        var running = RunningJob();
        var completed = RunningJob() with { State = JobState.Completed, FinishedAt = Now };
        var (ownInput, sharedInput, finishedInput, nobodys) = (Digest('1'), Digest('2'), Digest('3'), Digest('4'));
        await Commit(b =>
        {
            b.Jobs.AddRange([running, completed]);
            b.JobBlobs.AddRange(
            [
                new(running.Id, ownInput, JobBlobUse.Input), new(running.Id, sharedInput, JobBlobUse.Input),
                new(completed.Id, sharedInput, JobBlobUse.Input), new(completed.Id, finishedInput, JobBlobUse.Input),
                new(completed.Id, Tile, JobBlobUse.Result), new(completed.Id, Image, JobBlobUse.ResultFile),
            ]);
        });

        Assert.True(await Store.IsBlobNeededAsync(ownInput));
        Assert.True(await Store.IsBlobNeededAsync(sharedInput));
        Assert.False(await Store.IsBlobNeededAsync(finishedInput));
        Assert.True(await Store.IsBlobNeededAsync(Tile));
        Assert.True(await Store.IsBlobNeededAsync(Image));
        Assert.False(await Store.IsBlobNeededAsync(nobodys));

        // Once the running job is cancelled, its inputs are needed only by other running jobs.
        await Commit(b => b.Jobs.Add(running with { State = JobState.Cancelled, FinishedAt = Now }));
        Assert.False(await Store.IsBlobNeededAsync(ownInput));
        Assert.False(await Store.IsBlobNeededAsync(sharedInput));
        Assert.True(await Store.IsBlobNeededAsync(Tile));
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static string Digest(char hex) => "sha256:" + new string(hex, 64);

    private static JobRecord RunningJob() => new(Guid.NewGuid(), "motifs", "{}", new Redundancy(2, 2, 3, 6), 3600, 0, 4, 0, 0, 0,
        JobState.Running, "{}", null, Now, null);
}

public sealed class SqliteRelayStoreTests : RelayStoreConformance
{
    private readonly SqliteTestStore _store = new("relay");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task<IAsyncDisposable> HoldWritesAsync() => _store.HoldWritesAsync();

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRelayStoreTests(PostgresServer server) : RelayStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task<IAsyncDisposable> HoldWritesAsync() => _store.HoldWritesAsync("job_relay");

    protected override Task DropStoreAsync() => _store.DropAsync();
}
