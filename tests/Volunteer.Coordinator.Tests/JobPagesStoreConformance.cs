using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// What every <see cref="IWorkStore"/> must answer for the dashboard's job pages: the page of jobs before one, a job's
/// validated units by time bucket, its replicas by state and outcome, and the replicas of a page of its units.
/// </summary>
public abstract class JobPagesStoreConformance : StoreLifetime
{
    // Fractions of a second included: the stores keep times to the microsecond or finer.
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, 250, TimeSpan.Zero);

    [Fact]
    public async Task Going_back_a_page_returns_the_jobs_just_before_in_list_order()
    {
        // Three created at one instant: among them, the id decides, as in ListJobsAsync.
        JobRecord[] jobs =
        [
            Job() with { CreatedAt = Now }, Job() with { CreatedAt = Now.AddSeconds(1) }, Job() with { CreatedAt = Now.AddSeconds(1) },
            Job() with { CreatedAt = Now.AddSeconds(1) }, Job() with { CreatedAt = Now.AddSeconds(2), State = JobState.Completed },
            Job() with { CreatedAt = Now.AddSeconds(3) },
        ];
        await Commit(b => b.Jobs.AddRange(jobs));
        var listed = (await Store.ListJobsAsync(null, 10)).ToList();
        Assert.Equal(jobs.Length, listed.Count);

        for (var i = 0; i < listed.Count; i++)
        {
            Assert.Equal(listed.Take(i).TakeLast(2).Select(j => j.Id), (await Store.ListJobsBeforeAsync(null, 2, listed[i])).Select(j => j.Id));
        }
        var running = listed.Where(j => j.State == JobState.Running).ToList();
        Assert.Equal(running.Take(3).Select(j => j.Id), (await Store.ListJobsBeforeAsync(JobState.Running, 10, running[3])).Select(j => j.Id));
        Assert.Empty(await Store.ListJobsBeforeAsync(JobState.Completed, 10, listed[0]));
    }

    [Fact]
    public async Task Validated_units_are_counted_by_when_their_canonical_replica_was_reported()
    {
        var job = Job();
        var other = Job();
        // Unit i's canonical replica (replica 1) was reported at the given second after the job's start; replica 0 of
        // each was reported much later, and must not count.
        (long Unit, UnitState State, double Second)[] units =
        [
            (0, UnitState.Assimilated, 0.5), (1, UnitState.Assimilated, 9.99), (2, UnitState.Valid, 10), (3, UnitState.Assimilated, 35),
            (4, UnitState.Failed, 12), (5, UnitState.InProgress, 13), (6, UnitState.Assimilated, 29.999),
        ];
        await Commit(b =>
        {
            b.Jobs.AddRange([job, other]);
            foreach (var (unit, state, second) in units)
            {
                b.Units.Add(new UnitRecord(job.Id, unit, "{}", state, 2, state is UnitState.Failed or UnitState.InProgress ? null : 1));
                b.Replicas.Add(Reported(job.Id, unit, 0, Now.AddHours(1)));
                b.Replicas.Add(Reported(job.Id, unit, 1, Now.AddSeconds(second)));
            }
            b.Units.Add(new UnitRecord(other.Id, 0, "{}", UnitState.Assimilated, 1, 0));
            b.Replicas.Add(Reported(other.Id, 0, 0, Now.AddSeconds(1)));
        });

        var buckets = await Store.CountValidatedUnitsOverTimeAsync(job.Id, Now, TimeSpan.FromSeconds(10));

        Assert.Equal([new(0, 2), new(1, 1), new(2, 1), new(3, 1)], buckets);
        Assert.Equal([new TimeBucketCount(0, 5)], await Store.CountValidatedUnitsOverTimeAsync(job.Id, Now, TimeSpan.FromMinutes(1)));
        Assert.Empty(await Store.CountValidatedUnitsOverTimeAsync(Guid.NewGuid(), Now, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_jobs_replicas_are_counted_by_state_and_outcome()
    {
        var job = Job();
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Replicas.AddRange(
            [
                Replica(job.Id, 0, 0) with { State = ReplicaState.Valid, Outcome = ReportOutcome.Success },
                Replica(job.Id, 0, 1) with { State = ReplicaState.Valid, Outcome = ReportOutcome.Success },
                Replica(job.Id, 1, 0) with { State = ReplicaState.Invalid, Outcome = ReportOutcome.Success, Error = "disagreed" },
                Replica(job.Id, 1, 1) with { State = ReplicaState.Reported, Outcome = ReportOutcome.Error, Error = "out of memory" },
                Replica(job.Id, 1, 2) with { State = ReplicaState.Reported, Outcome = ReportOutcome.Error, Error = "crashed" },
                Replica(job.Id, 2, 0) with { State = ReplicaState.Assigned },
                Replica(job.Id, 2, 1) with { State = ReplicaState.TimedOut },
                Replica(job.Id, 3, 0),
            ]);
            b.Replicas.Add(Replica(Guid.NewGuid(), 0, 0) with { State = ReplicaState.Assigned });
        });

        var counts = (await Store.CountReplicasAsync(job.Id)).OrderBy(c => c.State).ThenBy(c => c.Outcome).ToList();

        Assert.Equal(
        [
            new(ReplicaState.Unsent, null, 1), new(ReplicaState.Assigned, null, 1), new(ReplicaState.Reported, ReportOutcome.Error, 2),
            new(ReplicaState.Valid, ReportOutcome.Success, 2), new(ReplicaState.Invalid, ReportOutcome.Success, 1),
            new(ReplicaState.TimedOut, null, 1),
        ], counts);
        Assert.Empty(await Store.CountReplicasAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task The_replicas_of_a_page_of_failed_units_come_with_their_errors()
    {
        var job = Job();
        var states = new[] { UnitState.Failed, UnitState.Assimilated, UnitState.Failed, UnitState.Failed, UnitState.Failed };
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.AddRange(states.Select((state, i) => new UnitRecord(job.Id, i, "{}", state, 2, null)));
            for (var unit = 0; unit < states.Length; unit++)
            {
                b.Replicas.Add(Replica(job.Id, unit, 0) with { State = ReplicaState.Reported, Outcome = ReportOutcome.Error, Error = $"error of unit {unit}" });
                b.Replicas.Add(Replica(job.Id, unit, 1) with { State = ReplicaState.TimedOut });
            }
        });

        var first = await Store.ListJudgedReplicasAsync(job.Id, UnitState.Failed, -1, 2);
        var second = await Store.ListJudgedReplicasAsync(job.Id, UnitState.Failed, 2, 2);

        Assert.Equal(
        [
            new(0, 0, ReplicaState.Reported, ReportOutcome.Error, "error of unit 0"), new(0, 1, ReplicaState.TimedOut, null, null),
            new(2, 0, ReplicaState.Reported, ReportOutcome.Error, "error of unit 2"), new(2, 1, ReplicaState.TimedOut, null, null),
        ], first);
        Assert.Equal([3L, 3L, 4L, 4L], second.Select(r => r.UnitIndex));
        // The same page of units as ListUnitsAsync's.
        Assert.Equal(
            (await Store.ListUnitsAsync(job.Id, UnitState.Failed, 2, 2)).Select(u => u.UnitIndex),
            second.Select(r => r.UnitIndex).Distinct());
        Assert.Empty(await Store.ListJudgedReplicasAsync(job.Id, UnitState.Failed, 4, 2));
    }

    private Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    private static JobRecord Job() => new(Guid.NewGuid(), "primes", """{"from":0,"to":1000,"unitSize":100}""",
        new Redundancy(2, 2, 3, 6), 3600, 5, 10, 0, 0, 0, JobState.Running, """{"primeCount":0}""", null, Now, null);

    private static ReplicaRecord Replica(Guid jobId, long unit, int replica) =>
        new(jobId, unit, replica, ReplicaState.Unsent, null, null, null, null, null, null, 0, null, null);

    private static ReplicaRecord Reported(Guid jobId, long unit, int replica, DateTimeOffset at) =>
        Replica(jobId, unit, replica) with { State = ReplicaState.Valid, ReportedAt = at, Outcome = ReportOutcome.Success, Digest = "sha256:ab" };
}

public sealed class SqliteJobPagesStoreTests : JobPagesStoreConformance
{
    private readonly SqliteTestStore _store = new("job-pages");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresJobPagesStoreTests(PostgresServer server) : JobPagesStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    protected override Task DropStoreAsync() => _store.DropAsync();
}
