using System.Text;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Apps.Primes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// Results whose payload stays at the edge (above the inline limit, reported by digest and size alone): quorum compares
/// digests, the unit is valid and credited at once, and its payload is folded into the job's result, after the app has
/// judged it, only once it arrives; a payload the app or its reducer refuses then sends the unit back to be replicated.
/// Primes units stand in for bulky ones: the workbook knows a payload at the edge only by its absence.
/// </summary>
public sealed class ResultsAtTheEdgeTests
{
    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Two_results_at_the_edge_agreeing_by_digest_make_the_unit_valid_and_credited_and_it_is_folded_once_its_payload_arrives()
    {
        var workbook = NewJob(unitCount: 2);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);

        workbook.Apply(AtTheEdge(alice, 25), now);
        workbook.Apply(AtTheEdge(bob, 25), now);
        var validated = workbook.TakeChanges();

        Assert.Equal((0L, UnitState.Valid, 0), validated.Units.Select(u => (u.UnitIndex, u.State, u.CanonicalReplica!.Value)).Single());
        Assert.Equal([(ReplicaState.Valid, DigestOf(25), 17L, (byte[]?)null), (ReplicaState.Valid, DigestOf(25), 17L, null)],
            validated.Replicas.Select(r => (r.State, r.Digest, r.Size, r.Payload)));
        Assert.Equal([(Alice.WorkerId, UnitCredit), (Bob.WorkerId, UnitCredit)], validated.Credits.Select(c => (c.WorkerId, c.Amount)));
        Assert.Empty(validated.JobBlobs);
        Assert.Equal((0L, """{"primeCount":0}"""), (workbook.Job.UnitsAssimilated, workbook.Job.Accumulated));
        Assert.Equal(new UnitCounts(1, 0, 1, 0, 0), workbook.CountUnits());
        Assert.Equal([DigestOf(25)], workbook.PayloadsWanted);
        Assert.Equal([DigestOf(25)], workbook.TakePayloadsNewlyWanted());
        Assert.Empty(workbook.TakePayloadsNewlyWanted());
        Assert.Equal([Alice.WorkerId, Bob.WorkerId], workbook.HoldersOf(DigestOf(25)));

        Assert.Equal(1, workbook.DeliverPayload(DigestOf(25), PayloadOf(25), now));
        var assimilated = workbook.TakeChanges();

        Assert.Equal((0L, UnitState.Assimilated), assimilated.Units.Select(u => (u.UnitIndex, u.State)).Single());
        Assert.Empty(assimilated.Replicas);
        Assert.Empty(assimilated.Credits);
        Assert.Equal([new JobBlobRecord(workbook.Job.Id, DigestOf(25), JobBlobUse.Result)], assimilated.JobBlobs);
        Assert.Equal((1L, PrimeCountOf(1)), assimilated.Jobs.Select(j => (j.UnitsAssimilated, j.Accumulated)).Single());
        Assert.Empty(workbook.PayloadsWanted);
        Assert.Empty(workbook.HoldersOf(DigestOf(25)));
        // Nothing waits for it any more: a second delivery changes nothing.
        Assert.Equal(0, workbook.DeliverPayload(DigestOf(25), PayloadOf(25), now));
        Assert.True(workbook.TakeChanges().IsEmpty);
    }

    [Fact]
    public void A_payload_no_holder_delivers_is_given_up_its_units_fail_and_their_credit_stays()
    {
        var workbook = NewJob(unitCount: 2);
        var now = _time.GetUtcNow();
        var leases = workbook.Lease(Alice, 2, now).Leases.Concat(workbook.Lease(Bob, 2, now).Leases).ToList();
        leases.ForEach(l => workbook.Apply(AtTheEdge(l, PrimesIn(l.UnitIndex)), now));
        Assert.Equal(4, workbook.TakeChanges().Credits.Count);
        Assert.Equal(1, workbook.DeliverPayload(DigestOf(25), PayloadOf(25), now));
        workbook.TakeChanges();

        Assert.Equal(1, workbook.GiveUpPayload(DigestOf(21), now));
        var givenUp = workbook.TakeChanges();

        Assert.Equal((1L, UnitState.Failed), givenUp.Units.Select(u => (u.UnitIndex, u.State)).Single());
        Assert.Empty(givenUp.Credits);
        // One unit of two may not fail (1%): the job ends, and says why, rather than wait for volunteers gone for good.
        var job = givenUp.Jobs.Last();
        Assert.Equal((JobState.Failed, 1L, 1L), (job.State, job.UnitsAssimilated, job.UnitsFailed));
        Assert.Contains($"no volunteer holding its result {DigestOf(21)} delivered it", job.FailureReason, StringComparison.Ordinal);
        Assert.Empty(workbook.PayloadsWanted);
        Assert.Equal(0, workbook.GiveUpPayload(DigestOf(21), now));
    }

    [Fact]
    public void The_job_completes_only_once_every_payload_has_arrived_and_units_with_identical_results_share_one()
    {
        var workbook = NewJob(unitCount: 4);
        var now = _time.GetUtcNow();
        var leases = workbook.Lease(Alice, 4, now).Leases.Concat(workbook.Lease(Bob, 4, now).Leases).ToList();
        leases.ForEach(l => workbook.Apply(AtTheEdge(l, PrimesIn(l.UnitIndex)), now));

        // Units 2 and 3 both hold 16 primes: one payload, whose holders are those of both.
        Assert.Equal([25L, 21, 16, 16], Enumerable.Range(0, 4).Select(u => PrimesIn(u)));
        Assert.Equal(DigestsOf(16, 21, 25), workbook.PayloadsWanted.Order());
        Assert.Equal([Alice.WorkerId, Bob.WorkerId], workbook.HoldersOf(DigestOf(16)));
        Assert.Equal(new UnitCounts(0, 0, 4, 0, 0), workbook.CountUnits());

        Assert.Equal(1, workbook.DeliverPayload(DigestOf(25), PayloadOf(25), now));
        Assert.Equal(2, workbook.DeliverPayload(DigestOf(16), PayloadOf(16), now));
        var beforeTheLast = workbook.Job;
        Assert.Equal(1, workbook.DeliverPayload(DigestOf(21), PayloadOf(21), now));

        Assert.Equal((JobState.Running, 3L), (beforeTheLast.State, beforeTheLast.UnitsAssimilated));
        Assert.Equal((JobState.Completed, 4L, PrimeCountOf(4)), (workbook.Job.State, workbook.Job.UnitsAssimilated, workbook.Job.Accumulated));
        Assert.Equal(new UnitCounts(0, 0, 0, 4, 0), workbook.CountUnits());
        Assert.Equal(DigestsOf(16, 21, 25), workbook.TakeChanges().JobBlobs.Select(b => b.Digest).Order());
    }

    [Fact]
    public void A_payload_the_app_finds_implausible_when_it_arrives_makes_its_agreeing_replicas_invalid_takes_their_credit_back_and_sends_the_unit_back()
    {
        var workbook = NewJob(unitCount: 1);
        var validatedAt = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, validatedAt).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, validatedAt).Leases);
        // Two hosts agree on a count no unit of 100 numbers can hold: the digests alone cannot tell.
        workbook.Apply(AtTheEdge(alice, 150), validatedAt);
        workbook.Apply(AtTheEdge(bob, 150), validatedAt);
        Assert.Equal(2, workbook.TakeChanges().Credits.Count);
        workbook.TakeTallies();
        _time.Advance(TimeSpan.FromMinutes(3));
        var arrivedAt = _time.GetUtcNow();

        Assert.Equal(1, workbook.DeliverPayload(DigestOf(150), PayloadOf(150), arrivedAt));
        var refused = workbook.TakeChanges();
        var tallies = workbook.TakeTallies();

        var reason = new PrimesApp().Validator.Check(new UnitInput(0, refused.Units.Single().Input), PayloadOf(150));
        Assert.NotNull(reason);
        Assert.Equal((UnitState.InProgress, (int?)null, 2, 4), refused.Units.Select(u => (u.State, u.CanonicalReplica, u.Quorum, u.ReplicaCount)).Single());
        Assert.Equal([(0, ReplicaState.Invalid, reason), (1, ReplicaState.Invalid, reason), (2, ReplicaState.Unsent, null), (3, ReplicaState.Unsent, null)],
            refused.Replicas.Select(r => (r.Replica, r.State, r.Error)).Order());
        Assert.Equal([(Alice.WorkerId, -UnitCredit, validatedAt, arrivedAt), (Bob.WorkerId, -UnitCredit, validatedAt, arrivedAt)],
            refused.Credits.Select(c => (c.WorkerId, c.Amount, c.EarnedAt, c.At)));
        Assert.Empty(refused.JobBlobs);
        Assert.Equal([(Alice.WorkerId, 1L), (Bob.WorkerId, 1L)], tallies.Select(t => (t.Key, t.Value.Invalid)).OrderBy(t => t.Key));
        Assert.Empty(workbook.PayloadsWanted);

        // Fresh hosts compute it again, inline this time, and it is assimilated.
        var carol = Assert.Single(workbook.Lease(Carol, 1, arrivedAt).Leases);
        var dave = Assert.Single(workbook.Lease(Dave, 1, arrivedAt).Leases);
        workbook.Apply(HonestResult(carol), arrivedAt);
        workbook.Apply(HonestResult(dave), arrivedAt);

        Assert.Equal([2, 3], new[] { carol, dave }.Select(l => l.Replica));
        Assert.Equal((JobState.Completed, PrimeCountOf(1)), (workbook.Job.State, workbook.Job.Accumulated));
    }

    [Fact]
    public void A_payload_the_reducer_refuses_when_it_arrives_sends_the_unit_back_as_an_implausible_one_does()
    {
        var workbook = NewJob(unitCount: 1, app: new PrimesJudgedOnlyByTheReducer());
        var now = _time.GetUtcNow();
        var garbled = "twenty-five"u8.ToArray();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);
        workbook.Apply(AtTheEdge(alice, garbled), now);
        workbook.Apply(AtTheEdge(bob, garbled), now);
        Assert.Equal([1.0, 1.0], workbook.TakeChanges().Credits.Select(c => c.Amount));

        Assert.Equal(1, workbook.DeliverPayload(ContentDigest.Of(garbled), garbled, now));
        var refused = workbook.TakeChanges();

        Assert.Equal((UnitState.InProgress, 4), refused.Units.Select(u => (u.State, u.ReplicaCount)).Single());
        Assert.All(refused.Replicas.Where(r => r.Replica < 2), r =>
        {
            Assert.Equal(ReplicaState.Invalid, r.State);
            Assert.StartsWith("The result could not be assimilated", r.Error);
        });
        Assert.Equal([-1.0, -1.0], refused.Credits.Select(c => c.Amount));
        Assert.Equal((0L, """{"primeCount":0}"""), (workbook.Job.UnitsAssimilated, workbook.Job.Accumulated));
    }

    [Fact]
    public void Results_accepted_alone_at_the_edge_wait_for_a_check_of_their_host_and_then_for_their_payloads()
    {
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var now = _time.GetUtcNow();
        var alone = workbook.Lease(Trusted(Alice), 2, now).Leases;
        alone.ToList().ForEach(l => workbook.Apply(AtTheEdge(l, PrimesIn(l.UnitIndex)), now));
        var accepted = workbook.TakeChanges();
        var wantedWhileAwaitingTheCheck = workbook.PayloadsWanted.ToList();

        // Unit 2 goes to Alice untrusted, and Bob agrees with her: her check has passed.
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);
        workbook.Apply(AtTheEdge(alice, 16), now);
        workbook.Apply(AtTheEdge(bob, 16), now);

        Assert.Equal([(0L, UnitState.Valid), (1L, UnitState.Valid)], accepted.Units.Select(u => (u.UnitIndex, u.State)));
        Assert.Equal([UnitCredit, UnitCredit], accepted.Credits.Select(c => c.Amount));
        Assert.Empty(wantedWhileAwaitingTheCheck);
        Assert.Equal(DigestsOf(16, 21, 25), workbook.PayloadsWanted.Order());
        Assert.Equal([Alice.WorkerId], workbook.HoldersOf(DigestOf(25)));
        Assert.Equal([Alice.WorkerId, Bob.WorkerId], workbook.HoldersOf(DigestOf(16)));
        Assert.Equal(0, workbook.Job.UnitsAssimilated);

        foreach (var count in new long[] { 25, 21, 16 })
        {
            Assert.Equal(1, workbook.DeliverPayload(DigestOf(count), PayloadOf(count), now));
        }

        Assert.Equal((3L, PrimeCountOf(3)), (workbook.Job.UnitsAssimilated, workbook.Job.Accumulated));
        Assert.Equal(new UnitCounts(7, 0, 0, 3, 0), workbook.CountUnits());
    }

    [Fact]
    public void A_result_accepted_alone_whose_payload_proves_implausible_after_its_host_passed_a_check_is_sent_back_and_its_credit_taken()
    {
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var reportedAt = _time.GetUtcNow();
        var alone = workbook.Lease(Trusted(Alice), 2, reportedAt).Leases;
        workbook.Apply(AtTheEdge(alone[0], 150), reportedAt);
        workbook.Apply(AtTheEdge(alone[1], 21), reportedAt);
        var alice = Assert.Single(workbook.Lease(Alice, 1, reportedAt).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, reportedAt).Leases);
        workbook.Apply(AtTheEdge(alice, 16), reportedAt);
        workbook.Apply(AtTheEdge(bob, 16), reportedAt);
        workbook.TakeChanges();
        _time.Advance(TimeSpan.FromMinutes(1));
        var arrivedAt = _time.GetUtcNow();

        Assert.Equal(1, workbook.DeliverPayload(DigestOf(150), PayloadOf(150), arrivedAt));
        var refused = workbook.TakeChanges();

        Assert.Equal((0L, UnitState.InProgress, 2, 3), refused.Units.Select(u => (u.UnitIndex, u.State, u.Quorum, u.ReplicaCount)).Single());
        Assert.Equal((Alice.WorkerId, 0L, -UnitCredit, reportedAt), refused.Credits.Select(c => (c.WorkerId, c.UnitIndex, c.Amount, c.EarnedAt)).Single());
        // Unit 1 passed the same check: it is not sent back, and is folded when its payload arrives.
        Assert.Equal(DigestsOf(16, 21), workbook.PayloadsWanted.Order());
        Assert.Equal(1, workbook.DeliverPayload(DigestOf(21), PayloadOf(21), arrivedAt));
        Assert.Equal(1, workbook.DeliverPayload(DigestOf(16), PayloadOf(16), arrivedAt));
        Assert.Equal((2L, """{"primeCount":37}"""), (workbook.Job.UnitsAssimilated, workbook.Job.Accumulated));
    }

    [Fact]
    public void A_reopened_workbook_waits_again_for_the_payloads_it_waited_for_and_checks_again_what_was_accepted_alone()
    {
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);
        workbook.Apply(AtTheEdge(alice, 25), now);
        workbook.Apply(AtTheEdge(bob, 25), now);
        var alone = Assert.Single(workbook.Lease(Trusted(Alice), 1, now).Leases);
        workbook.Apply(AtTheEdge(alone, 21), now);
        var changes = workbook.TakeChanges();

        var reopened = Reopen(workbook, changes);

        Assert.All(changes.Replicas.Where(r => r.State == ReplicaState.Valid), r => Assert.Null(r.Payload));
        Assert.Equal([DigestOf(25)], reopened.PayloadsWanted);
        Assert.Equal([DigestOf(25)], reopened.TakePayloadsNewlyWanted());
        Assert.Equal([Alice.WorkerId, Bob.WorkerId], reopened.HoldersOf(DigestOf(25)));
        Assert.Equal(new UnitCounts(8, 0, 2, 0, 0), reopened.CountUnits());

        Assert.Equal(1, reopened.DeliverPayload(DigestOf(25), PayloadOf(25), now));

        Assert.Equal((1L, PrimeCountOf(1)), (reopened.Job.UnitsAssimilated, reopened.Job.Accumulated));
        // Unit 1, accepted alone, still waits for a check of Alice: its payload is not wanted yet.
        Assert.Empty(reopened.PayloadsWanted);
        Assert.Equal(new UnitCounts(8, 0, 1, 1, 0), reopened.CountUnits());
    }

    [Fact]
    public void An_app_that_compares_payloads_takes_a_result_at_the_edge_as_an_error_of_the_unit()
    {
        var workbook = NewJob(unitCount: 1, app: new PrimesComparedByPayload());
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        workbook.TakeChanges();

        workbook.Apply(AtTheEdge(alice, 25), now);
        var changes = workbook.TakeChanges();

        var replica = changes.Replicas.Single(r => r.Replica == 0);
        Assert.Equal((ReplicaState.Reported, ReportOutcome.Error, null, 0L), (replica.State, replica.Outcome, replica.Digest, replica.Size));
        Assert.Equal("The result (17 bytes) is above the inline limit, and app primes compares results by their payloads.", replica.Error);
        Assert.Equal(1L, workbook.TakeTallies()[Alice.WorkerId].Errors);
        Assert.Empty(workbook.PayloadsWanted);
    }

    [Fact]
    public void A_job_that_has_ended_wants_no_payload_and_takes_none()
    {
        var workbook = NewJob(unitCount: 2);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);
        workbook.Apply(AtTheEdge(alice, 25), now);
        workbook.Apply(AtTheEdge(bob, 25), now);
        workbook.TakeChanges();

        Assert.True(workbook.Cancel(now));

        Assert.Empty(workbook.PayloadsWanted);
        Assert.Empty(workbook.TakePayloadsNewlyWanted());
        Assert.Equal(0, workbook.DeliverPayload(DigestOf(25), PayloadOf(25), now));
        Assert.Empty(workbook.TakeChanges().JobBlobs);
        Assert.Equal((JobState.Cancelled, 0L), (workbook.Job.State, workbook.Job.UnitsAssimilated));
    }

    /// <summary>A successful report of <paramref name="primeCount"/> whose payload stayed with the host: digest and size only.</summary>
    private static ReplicaResult AtTheEdge(ReplicaLease lease, long primeCount) => AtTheEdge(lease, PayloadOf(primeCount));

    private static ReplicaResult AtTheEdge(ReplicaLease lease, byte[] payload) =>
        new(lease.Ref, ReportOutcome.Success, ContentDigest.Of(payload), payload.Length, null, null);

    private static byte[] PayloadOf(long primeCount) => Encoding.UTF8.GetBytes($$"""{"primeCount":{{primeCount}}}""");

    private static string DigestOf(long primeCount) => ContentDigest.Of(PayloadOf(primeCount));

    /// <summary>The digests of these counts' payloads, in the order of the digests (as a set is compared here).</summary>
    private static IEnumerable<string> DigestsOf(params long[] primeCounts) => primeCounts.Select(DigestOf).Order();

    /// <summary>The primes app with a comparator that reads payloads (as a numeric tolerance would), so cannot compare digests alone.</summary>
    private sealed class PrimesComparedByPayload : IScienceApp
    {
        private readonly PrimesApp _primes = new();

        public string Name => _primes.Name;

        public IJobSplitter Splitter => _primes.Splitter;

        public IUnitComputer Computer => _primes.Computer;

        public IResultComparator Comparator { get; } = new SamePayload();

        public IResultReducer Reducer => _primes.Reducer;

        private sealed class SamePayload : IResultComparator
        {
            public bool Agree(ResultSummary first, ResultSummary second) =>
                first.Payload is { } a && second.Payload is { } b && a.AsSpan().SequenceEqual(b);
        }
    }
}
