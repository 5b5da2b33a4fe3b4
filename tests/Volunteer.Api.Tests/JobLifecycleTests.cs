using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Apps.Primes;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>Whole jobs through the API, computed for real by simulated workers.</summary>
public sealed class JobLifecycleTests(CoordinatorFactory factory) : JobScenario<CoordinatorFactory>(factory), IClassFixture<CoordinatorFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_workers_compute_a_job_to_its_known_prime_count()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 1000, 100));
        Assert.Equal(10, job.UnitCount);
        Assert.Equal(Redundancy.Default, job.Redundancy);
        SimulatedWorker[] workers = [await AttachAsync("alice"), await AttachAsync("bob")];
        var held = workers.ToDictionary(w => w.Id, _ => new List<Assignment>());
        var issued = new List<(Guid Worker, Assignment Lease)>();

        var deadline = DateTime.UtcNow + Patience;
        var state = JobState.Running;
        for (var round = 0; state == JobState.Running; round++)
        {
            if (round >= 100 || DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"The job did not complete in time: {(await Api.GetJobAsync(Jobs, job.Id)).Units}");
            }
            foreach (var worker in workers)
            {
                var reports = new List<ReplicaReport>();
                foreach (var lease in held[worker.Id])
                {
                    reports.Add(await worker.ComputeAsync(lease));
                }
                var response = await worker.SyncAsync(new SyncRequest(reports, RequestUnits: 3));
                Assert.Equal(reports.Count, response.Accepted);
                Assert.Empty(response.Cancelled);
                Assert.True(response.Assignments.Count <= 3);
                held[worker.Id] = [.. response.Assignments];
                issued.AddRange(response.Assignments.Select(a => (worker.Id, a)));
            }
            state = (await Api.GetJobAsync(Jobs, job.Id)).State;
        }

        Assert.Equal(JobState.Completed, state);
        using (var response = await Jobs.GetAsync(Api.ResultPath(job.Id)))
        {
            await Api.AssertStatusAsync(response, HttpStatusCode.OK);
            using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(job.Id, result.RootElement.GetProperty("jobId").GetGuid());
            Assert.Equal("primes", result.RootElement.GetProperty("app").GetString());
            Assert.Equal(168, result.RootElement.GetProperty("result").GetProperty("primeCount").GetInt64());
            Assert.Equal(PrimeSieve.CountPrimes(0, 1000), result.RootElement.GetProperty("result").GetProperty("primeCount").GetInt64());
        }
        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(new UnitCounts(0, 0, 0, 10, 0), done.Units);
        Assert.Equal(1.0, done.Progress);
        Assert.NotNull(done.FinishedAt);
        Assert.Equal(168, done.Result!.Value.GetProperty("primeCount").GetInt64());
        Assert.Contains(await Api.ListJobsAsync(Jobs, "?state=Completed"), j => j.Id == job.Id);

        // Every unit went out exactly twice, each time to a different worker; every replica once.
        Assert.All(issued, i => Assert.Equal(job.Id, i.Lease.JobId));
        Assert.Equal(issued.Count, issued.Select(i => i.Lease.Ref).Distinct().Count());
        foreach (var unit in issued.GroupBy(i => i.Lease.UnitIndex))
        {
            Assert.Equal(2, unit.Count());
            Assert.Equal(2, unit.Select(i => i.Worker).Distinct().Count());
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), issued.Select(i => i.Lease.UnitIndex).Distinct().Order());
        Assert.All(issued, i => Assert.Equal(PrimesApp.AppName, i.Lease.App));

        // A finished job hands out no more work.
        foreach (var worker in workers)
        {
            Assert.Empty(await worker.LeaseAsync(3));
        }
    }

    [Fact]
    public async Task A_worker_never_holds_two_replicas_of_one_unit_even_when_it_asks_for_many()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 300, 100,
            ""","redundancy":{"targetResults":3,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6}"""));
        var greedy = await AttachAsync("greedy");

        var leases = await greedy.LeaseAsync(64);

        // Three units, so three replicas at most: one of each unit, never two of one.
        Assert.Equal(3, leases.Count);
        Assert.Equal([0L, 1L, 2L], leases.Select(a => a.UnitIndex).Order());
        Assert.Empty(await greedy.LeaseAsync(64));

        var other = await AttachAsync("other");
        var more = await other.LeaseAsync(64);
        Assert.Equal([0L, 1L, 2L], more.Select(a => a.UnitIndex).Order());
        Assert.All(more, a => Assert.DoesNotContain(leases, l => l.Ref == a.Ref));
        Assert.Equal(job.Id, Assert.Single(leases.Concat(more).Select(a => a.JobId).Distinct()));
    }

    [Fact]
    public async Task A_dissenting_result_sends_an_extra_replica_and_the_honest_majority_wins()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100,
            ""","redundancy":{"targetResults":2,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6}"""));
        var liar = await AttachAsync("liar");
        var honest = await AttachAsync("honest");
        var third = await AttachAsync("third");
        var liarLease = Assert.Single(await liar.LeaseAsync(1));
        var honestLease = Assert.Single(await honest.LeaseAsync(1));
        Assert.Equal(0, liarLease.UnitIndex);
        Assert.Equal(0, honestLease.UnitIndex);
        Assert.Empty(await third.LeaseAsync(1));

        // The liar claims one prime too many; the honest worker counts the 25 primes below 100.
        Assert.Equal(1, (await liar.SyncAsync(new SyncRequest([liar.Claim(liarLease.Ref, 26)]))).Accepted);
        Assert.Equal(1, (await honest.SyncAsync(new SyncRequest([await honest.ComputeAsync(honestLease)]))).Accepted);

        // No quorum yet: the unit is not valid and the job still runs.
        var undecided = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Running, undecided.State);
        Assert.Equal(new UnitCounts(0, 1, 0, 0, 0), undecided.Units);
        using (var result = await Jobs.GetAsync(Api.ResultPath(job.Id)))
        {
            await Api.AssertProblemAsync(result, HttpStatusCode.Conflict, "Running");
        }

        // The extra replica goes to the third worker, never back to the two who already have one.
        Assert.Empty(await liar.LeaseAsync(1));
        Assert.Empty(await honest.LeaseAsync(1));
        var extra = Assert.Single(await third.LeaseAsync(1));
        Assert.Equal(new ReplicaRef(job.Id, 0, 2), extra.Ref);

        Assert.Equal(1, (await third.SyncAsync(new SyncRequest([await third.ComputeAsync(extra)]))).Accepted);

        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(25, done.Result!.Value.GetProperty("primeCount").GetInt64());
        using (var result = await Jobs.GetAsync(Api.ResultPath(job.Id)))
        {
            await Api.AssertStatusAsync(result, HttpStatusCode.OK);
            using var body = JsonDocument.Parse(await result.Content.ReadAsStringAsync());
            Assert.Equal(25, body.RootElement.GetProperty("result").GetProperty("primeCount").GetInt64());
        }
        Assert.Equal(ReplicaState.Invalid, (await Factory.FindReplicaAsync(liarLease.Ref))!.State);
        Assert.Equal(ReplicaState.Valid, (await Factory.FindReplicaAsync(honestLease.Ref))!.State);
        Assert.Equal(ReplicaState.Valid, (await Factory.FindReplicaAsync(extra.Ref))!.State);
    }

    [Fact]
    public async Task Replica_still_out_when_its_unit_is_validated_is_cancelled_and_its_report_refused_with_409()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100,
            ""","redundancy":{"targetResults":3,"minQuorum":2,"maxErrorResults":3,"maxTotalResults":6}"""));
        var first = await AttachAsync("first");
        var second = await AttachAsync("second");
        var straggler = await AttachAsync("straggler");
        var firstLease = Assert.Single(await first.LeaseAsync(1));
        var secondLease = Assert.Single(await second.LeaseAsync(1));
        var stragglerLease = Assert.Single(await straggler.LeaseAsync(1));

        Assert.Equal(1, (await first.SyncAsync(new SyncRequest([await first.ComputeAsync(firstLease)]))).Accepted);
        Assert.Equal(1, (await second.SyncAsync(new SyncRequest([await second.ComputeAsync(secondLease)]))).Accepted);
        Assert.Equal(JobState.Completed, (await Api.GetJobAsync(Jobs, job.Id)).State);

        // Quorum was reached without the straggler: it is told to stop, and its report is not wanted.
        var told = await straggler.SyncAsync(new SyncRequest(InProgress: [stragglerLease.Ref]));
        Assert.Equal([stragglerLease.Ref], told.Cancelled);
        using var response = await straggler.PostSyncAsync(new SyncRequest([await straggler.ComputeAsync(stragglerLease)]));
        var problem = await Api.AssertProblemAsync(response, HttpStatusCode.Conflict, "cancelled");
        Assert.Equal([(stragglerLease.Ref, "ReplicaCancelled")], Api.Refusals(problem));
        Assert.Equal(ReplicaState.Cancelled, (await Factory.FindReplicaAsync(stragglerLease.Ref))!.State);
        Assert.Equal(25, (await Api.GetJobAsync(Jobs, job.Id)).Result!.Value.GetProperty("primeCount").GetInt64());
    }

    [Fact]
    public async Task Work_of_the_higher_priority_job_is_handed_out_first()
    {
        var ordinary = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100));
        var urgent = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200, 100, ""","priority":5"""));
        var worker = await AttachAsync("eager");

        var leases = await worker.LeaseAsync(3);

        Assert.Equal([urgent.Id, urgent.Id, ordinary.Id], leases.Select(a => a.JobId));
    }

    [Fact]
    public async Task Minimum_quorum_of_one_completes_on_a_single_report()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(1000, 2000, 500,
            ""","redundancy":{"targetResults":1,"minQuorum":1,"maxErrorResults":0,"maxTotalResults":1}"""));
        var worker = await AttachAsync("solo");

        var leases = await worker.LeaseAsync(5);
        Assert.Equal(2, leases.Count);
        var reports = new List<ReplicaReport>();
        foreach (var lease in leases)
        {
            reports.Add(await worker.ComputeAsync(lease));
        }
        Assert.Equal(2, (await worker.SyncAsync(new SyncRequest(reports))).Accepted);

        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(PrimeSieve.CountPrimes(1000, 2000), done.Result!.Value.GetProperty("primeCount").GetInt64());
    }

    [Fact]
    public async Task Too_many_error_reports_fail_the_job()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 100,
            ""","redundancy":{"targetResults":1,"minQuorum":1,"maxErrorResults":0,"maxTotalResults":2}"""));
        var worker = await AttachAsync("crashy");
        var lease = Assert.Single(await worker.LeaseAsync(1));

        var error = new ReplicaReport(job.Id, 0, lease.Replica, ReportOutcome.Error, Error: "the sieve ran out of memory");
        Assert.Equal(1, (await worker.SyncAsync(new SyncRequest([error]))).Accepted);

        var failed = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("Unit 0 failed", failed.FailureReason, StringComparison.Ordinal);
        Assert.Equal(1, failed.Units.Failed);
        using var result = await Jobs.GetAsync(Api.ResultPath(job.Id));
        await Api.AssertProblemAsync(result, HttpStatusCode.Conflict, "Failed");
    }

    [Fact]
    public async Task A_unit_that_fails_is_listed_and_the_job_completes_without_it()
    {
        // 100 one-number units, one replica each, no error allowed: an error fails its unit alone (1% may fail).
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 100, 1,
            ""","redundancy":{"targetResults":1,"minQuorum":1,"maxErrorResults":0,"maxTotalResults":1}"""));
        // 64 cores: the host may hold all 100 units at once (2 per core).
        var worker = await AttachAsync("mostly-fine", cores: 64);
        var leases = new List<Assignment>();
        while (leases.Count < 100)
        {
            var more = await worker.LeaseAsync(64);
            Assert.NotEmpty(more);
            leases.AddRange(more);
        }

        var reports = new List<ReplicaReport>();
        foreach (var lease in leases)
        {
            reports.Add(lease.UnitIndex == 42
                ? new ReplicaReport(job.Id, 42, lease.Replica, ReportOutcome.Error, Error: "the sieve ran out of memory")
                : await worker.ComputeAsync(lease));
        }
        Assert.Equal(100, (await worker.SyncAsync(new SyncRequest(reports))).Accepted);

        var done = await Api.GetJobAsync(Jobs, job.Id);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(new UnitCounts(0, 0, 0, 99, 1), done.Units);
        Assert.Equal(PrimeSieve.CountPrimes(0, 100) - PrimeSieve.CountPrimes(42, 43), done.Result!.Value.GetProperty("primeCount").GetInt64());
        using var listed = await Jobs.GetAsync("/" + Routes.JobFailedUnits(job.Id));
        await Api.AssertStatusAsync(listed, HttpStatusCode.OK);
        var failed = Assert.Single((await listed.Content.ReadFromJsonAsync<List<FailedUnit>>(ProtocolJson.Options))!);
        Assert.Equal(42, failed.UnitIndex);
        Assert.Equal("""{"from":42,"to":43}""", failed.Input.GetRawText());
    }
}
