using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The fence every <see cref="IWorkStore"/> must keep between two activations of one job's grain: each claims an
/// epoch of the job, and a batch fenced with an epoch the job has moved on from writes nothing, alone or grouped.
/// </summary>
public abstract class StoreFencingConformance : StoreLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Worker = Guid.Parse("5d1c0a3e-7b9f-4e2a-9c4d-3f6e8a1b2c0d");

    /// <summary>
    /// Holds every write to the jobs table off until disposed, from a connection of the test's own; the store's
    /// batches queue up meanwhile.
    /// </summary>
    protected abstract Task<IAsyncDisposable> HoldJobWritesAsync();

    [Fact]
    public async Task A_running_job_gives_out_its_epochs_in_turn_after_the_one_its_submitter_holds()
    {
        var job = Job();
        await Commit(null, b => b.Jobs.Add(job));

        Assert.Equal(new JobEpoch(job.Id, 1), await Store.ClaimEpochAsync(job.Id));
        Assert.Equal(new JobEpoch(job.Id, 2), await Store.ClaimEpochAsync(job.Id));
    }

    [Fact]
    public async Task A_job_that_is_not_running_or_unknown_gives_out_no_epoch()
    {
        var ended = Job() with { State = JobState.Completed, FinishedAt = Now };
        await Commit(null, b => b.Jobs.Add(ended));

        Assert.Null(await Store.ClaimEpochAsync(ended.Id));
        Assert.Null(await Store.ClaimEpochAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task A_batch_fenced_with_an_epoch_the_job_has_moved_on_from_writes_nothing()
    {
        var (job, unit, replica) = await SubmitWithOneUnitAsync();
        var stale = await Store.ClaimEpochAsync(job.Id);
        var current = await Store.ClaimEpochAsync(job.Id);

        var refused = await Assert.ThrowsAsync<StaleEpochException>(() => Commit(stale, b => Progress(b, job, unit, replica, "stale")));

        Assert.Equal((job.Id, 1L), (refused.JobId, refused.Epoch));
        Assert.Equal(job, await Store.FindJobAsync(job.Id));
        Assert.Equal(unit, Assert.Single(await Store.LoadOpenUnitsAsync(job.Id)).Unit);
        Assert.Equal(replica, await Store.FindReplicaAsync(new ReplicaRef(job.Id, 0, 0)));

        var written = await Commit(current, b => Progress(b, job, unit, replica, "current"));

        Assert.Equal(written.Jobs[0], await Store.FindJobAsync(job.Id));
        Assert.Equal(written.Units[0], Assert.Single(await Store.LoadOpenUnitsAsync(job.Id)).Unit);
        Assert.Equal(written.Replicas[0], await Store.FindReplicaAsync(new ReplicaRef(job.Id, 0, 0)));
    }

    [Fact]
    public async Task The_submitters_epoch_writes_until_another_activation_claims_the_job()
    {
        var (job, unit, replica) = await SubmitWithOneUnitAsync();

        await Commit(JobEpoch.Submitted(job.Id), b => Progress(b, job, unit, replica, "submitter"));
        await Store.ClaimEpochAsync(job.Id);

        var refused = await Assert.ThrowsAsync<StaleEpochException>(
            () => Commit(JobEpoch.Submitted(job.Id), b => b.Replicas.Add(replica with { Digest = "sha256:late" })));
        Assert.Equal(0, refused.Epoch);
        Assert.Equal("sha256:submitter", (await Store.FindReplicaAsync(new ReplicaRef(job.Id, 0, 0)))!.Digest);
    }

    [Fact]
    public async Task Writing_the_job_leaves_its_epoch_as_claimed()
    {
        var (job, unit, replica) = await SubmitWithOneUnitAsync();
        var current = await Store.ClaimEpochAsync(job.Id);

        // The job's row upserted under its epoch, then again as a new submission would write it: the epoch stays.
        await Commit(current, b => Progress(b, job, unit, replica, "current"));
        await Commit(null, b => b.Jobs.Add(job));
        await Commit(current, b => b.Replicas.Add(replica with { Digest = "sha256:still-current" }));

        Assert.Equal(new JobEpoch(job.Id, 2), await Store.ClaimEpochAsync(job.Id));
    }

    [Fact]
    public async Task A_batch_fenced_for_a_job_with_no_row_is_refused()
    {
        var unknown = new JobEpoch(Guid.NewGuid(), 0);

        await Assert.ThrowsAsync<StaleEpochException>(
            () => Commit(unknown, b => b.Units.Add(new UnitRecord(unknown.JobId, 0, "{}", UnitState.Pending, 0, null))));

        Assert.Empty(await Store.LoadOpenUnitsAsync(unknown.JobId));
    }

    [Fact]
    public async Task A_stale_batch_grouped_with_other_jobs_batches_fails_alone()
    {
        var jobs = Enumerable.Range(0, 20).Select(_ => Job()).ToList();
        await Commit(null, b => b.Jobs.AddRange(jobs));
        var epochs = new List<JobEpoch>();
        foreach (var job in jobs)
        {
            epochs.Add((await Store.ClaimEpochAsync(job.Id))!);
        }
        var staleJob = jobs[1];
        var stale = epochs[1] with { Epoch = epochs[1].Epoch - 1 };

        // Queued while the jobs table is held, so the stale batch cannot be written alone: either it shares the
        // writer's first group with the first batch, or that group took the first batch alone and the stale one
        // leads the next, which takes all the rest.
        var commits = new List<(Guid Job, Task Commit)>();
        await using (await HoldJobWritesAsync())
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                var fence = job == staleJob ? stale : epochs[i];
                commits.Add((job.Id, Commit(fence, b => b.Units.Add(new UnitRecord(job.Id, 0, "{}", UnitState.Pending, 0, null)))));
            }
        }
        await Assert.ThrowsAsync<StaleEpochException>(() => Task.WhenAll(commits.Select(c => c.Commit)));

        Assert.Equal([staleJob.Id], commits.Where(c => c.Commit.IsFaulted).Select(c => c.Job));
        Assert.IsType<StaleEpochException>(commits.Single(c => c.Job == staleJob.Id).Commit.Exception!.InnerException);
        foreach (var job in jobs)
        {
            Assert.Equal(job == staleJob ? 0 : 1, (await Store.LoadOpenUnitsAsync(job.Id)).Count);
        }
    }

    private async Task<WorkBatch> Commit(JobEpoch? fence, Action<WorkBatch> fill)
    {
        var batch = new WorkBatch { Fence = fence };
        fill(batch);
        await Store.CommitAsync(batch);
        return batch;
    }

    /// <summary>A job as submitted, with its first unit split out and that unit's first replica not yet sent.</summary>
    private async Task<(JobRecord Job, UnitRecord Unit, ReplicaRecord Replica)> SubmitWithOneUnitAsync()
    {
        var job = Job();
        var unit = new UnitRecord(job.Id, 0, """{"from":0,"to":100}""", UnitState.Pending, 1, null);
        var replica = new ReplicaRecord(job.Id, 0, 0, ReplicaState.Unsent, null, null, null, null, null, null, 0, null, null);
        await Commit(null, b =>
        {
            b.Jobs.Add(job);
            b.Units.Add(unit);
            b.Replicas.Add(replica);
        });
        return (job, unit, replica);
    }

    /// <summary>One step of the job's work: the unit's replica reported (with <paramref name="digest"/>), the job's cursor moved.</summary>
    private static void Progress(WorkBatch batch, JobRecord job, UnitRecord unit, ReplicaRecord replica, string digest)
    {
        batch.Jobs.Add(job with { UnitsOpened = 1, Accumulated = $$"""{"by":"{{digest}}"}""" });
        batch.Units.Add(unit with { State = UnitState.InProgress });
        batch.Replicas.Add(replica with
        {
            State = ReplicaState.Reported, WorkerId = Worker, IssuedAt = Now, Deadline = Now.AddHours(1), ReportedAt = Now,
            Outcome = ReportOutcome.Success, Digest = "sha256:" + digest, Size = 2,
        });
    }

    private static JobRecord Job() => new(Guid.NewGuid(), "primes", """{"from":0,"to":1000,"unitSize":100}""",
        new Redundancy(2, 2, 3, 6), 3600, 5, 10, 0, 0, 0, JobState.Running, """{"primeCount":0}""", null, Now, null);
}

public sealed class SqliteStoreFencingTests : StoreFencingConformance
{
    private readonly SqliteTestStore _store = new("fencing");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task<IAsyncDisposable> HoldJobWritesAsync() => _store.HoldWritesAsync();

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreFencingTests(PostgresServer server) : StoreFencingConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    // A fenced group waits at its check of the job's epoch.
    protected override Task<IAsyncDisposable> HoldJobWritesAsync() => _store.HoldWritesAsync("jobs");

    protected override Task DropStoreAsync() => _store.DropAsync();
}
