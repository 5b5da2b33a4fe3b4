using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The last units of a job: a replica out much longer than its host usually takes gets a speculative sibling, slow
/// hosts wait for fast ones, and the job's completion is estimated from the pace of the last minutes.
/// </summary>
public sealed class TailAccelerationTests
{
    /// <summary>What the fast hosts here usually take to return a primes unit.</summary>
    private const double Usual = 10;

    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void The_last_unit_of_a_host_that_never_reports_is_settled_through_a_speculative_replica_and_the_late_one_cancelled()
    {
        // Three units: the last is the job's tail (5% of 3, rounded up). Bob never reports it.
        var workbook = NewJob(unitCount: 3, deadlineSeconds: 3600);
        var alice = workbook.Lease(Taking(Alice, Usual), 3, Now).Leases;
        var bob = workbook.Lease(Taking(Bob, Usual), 3, Now).Leases;
        _time.Advance(TimeSpan.FromSeconds(Usual));
        alice.Concat(bob.Take(2)).ToList().ForEach(l => workbook.Apply(HonestResult(l), Now));
        workbook.ExpireLeases(Now);
        workbook.TakeChanges();

        // Speculation factor 3: Bob's replica may be out 30 s before it gets a sibling.
        _time.Advance(TimeSpan.FromSeconds(20));
        workbook.ExpireLeases(Now);
        var atThreeTurnarounds = workbook.TakeChanges();
        _time.Advance(TimeSpan.FromSeconds(1));
        workbook.ExpireLeases(Now);
        var pastThem = workbook.TakeChanges();
        var carol = Assert.Single(workbook.Lease(Taking(Carol, Usual), 1, Now).Leases);
        _time.Advance(TimeSpan.FromSeconds(Usual));
        workbook.Apply(HonestResult(carol), Now);

        Assert.True(atThreeTurnarounds.IsEmpty);
        Assert.Equal([(2L, 2, ReplicaState.Unsent)], pastThem.Replicas.Select(r => (r.UnitIndex, r.Replica, r.State)));
        Assert.Equal((2L, 2), (carol.UnitIndex, carol.Replica));
        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Equal(Start.AddSeconds(41), workbook.Job.FinishedAt);
        Assert.True(workbook.Job.FinishedAt < bob[2].Deadline);
        Assert.Equal(PrimeCountOf(3), workbook.Job.Accumulated);
        Assert.Equal(
            [(0, ReplicaState.Valid), (1, ReplicaState.Cancelled), (2, ReplicaState.Valid)],
            workbook.TakeChanges().Replicas.Select(r => (r.Replica, r.State)).Order());
        Assert.False(workbook.IsLeasedTo(Bob.WorkerId, bob[2].Ref, Now));
    }

    [Fact]
    public void A_unit_gets_one_speculative_replica_however_late_its_replicas_run()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 3600);
        workbook.Lease(Taking(Alice, Usual), 1, Now);
        workbook.Lease(Taking(Bob, Usual), 1, Now);
        _time.Advance(TimeSpan.FromSeconds(31));
        workbook.ExpireLeases(Now);
        Assert.Single(workbook.Lease(Taking(Carol, Usual), 1, Now).Leases);
        workbook.TakeChanges();

        _time.Advance(TimeSpan.FromSeconds(31));
        workbook.ExpireLeases(Now);
        _time.Advance(TimeSpan.FromMinutes(10));
        workbook.ExpireLeases(Now);

        Assert.True(workbook.TakeChanges().IsEmpty);
        Assert.Empty(workbook.Lease(Taking(Dave, Usual), 1, Now).Leases);
    }

    [Fact]
    public void A_late_replica_gets_no_speculative_sibling_before_the_tail()
    {
        // Ten units: the tail is the last one; with ten to go, Alice's and Bob's late replicas wait for their deadline.
        var workbook = NewJob(unitCount: 10, deadlineSeconds: 3600);
        workbook.Lease(Taking(Alice, Usual), 1, Now);
        workbook.Lease(Taking(Bob, Usual), 1, Now);
        workbook.ExpireLeases(Now);
        workbook.TakeChanges();

        _time.Advance(TimeSpan.FromMinutes(10));
        workbook.ExpireLeases(Now);

        Assert.True(workbook.TakeChanges().IsEmpty);
    }

    [Fact]
    public void In_the_tail_a_slow_host_is_offered_a_unit_only_once_it_has_waited_a_usual_turnaround_for_a_fast_one()
    {
        // One unit of four replicas, all of it tail. Alice and Bob set the usual turnaround at 10 s; Frank takes a minute.
        var workbook = NewJob(unitCount: 1, redundancy: new Redundancy(4, 2, 2, 6));
        workbook.Lease(Taking(Alice, Usual), 1, Now);
        workbook.Lease(Taking(Bob, Usual), 1, Now);
        workbook.ExpireLeases(Now);

        var frank = workbook.Lease(Taking(Frank, 60), 1, Now).Leases;
        var daveOfUnknownPace = workbook.Lease(Dave, 1, Now).Leases;
        var carol = workbook.Lease(Taking(Carol, Usual), 1, Now).Leases;
        _time.Advance(TimeSpan.FromSeconds(Usual - 1));
        var frankBeforeATurnaround = workbook.Lease(Taking(Frank, 60), 1, Now).Leases;
        _time.Advance(TimeSpan.FromSeconds(1));
        var frankAfterATurnaround = workbook.Lease(Taking(Frank, 60), 1, Now).Leases;

        Assert.Empty(frank);
        Assert.Empty(daveOfUnknownPace);
        Assert.Equal([(0L, 2)], carol.Select(l => (l.UnitIndex, l.Replica)));
        Assert.Empty(frankBeforeATurnaround);
        Assert.Equal([(0L, 3)], frankAfterATurnaround.Select(l => (l.UnitIndex, l.Replica)));
    }

    [Fact]
    public void Before_the_tail_a_slow_host_is_offered_units_at_once()
    {
        var workbook = NewJob(unitCount: 10, redundancy: new Redundancy(3, 2, 2, 6));
        workbook.Lease(Taking(Alice, Usual), 1, Now);
        workbook.Lease(Taking(Bob, Usual), 1, Now);
        workbook.ExpireLeases(Now);

        var frank = workbook.Lease(Taking(Frank, 60), 1, Now).Leases;

        Assert.Equal([(0L, 2)], frank.Select(l => (l.UnitIndex, l.Replica)));
    }

    [Fact]
    public void The_completion_estimate_waits_for_progress_then_follows_the_pace_of_the_last_five_minutes()
    {
        var workbook = NewJob(unitCount: 40);
        var beforeAnySweep = workbook.EstimateCompletion(Now);
        workbook.ExpireLeases(Now);
        var beforeAnyUnitSettled = workbook.EstimateCompletion(Now);

        _time.Advance(TimeSpan.FromSeconds(60));
        Settle(workbook, 10);
        workbook.ExpireLeases(Now);
        var atTenUnitsAMinute = workbook.EstimateCompletion(Now);

        // 260 s later, 20 more units settled: the sweep at 0 s has left the five minutes, the one at 60 s not.
        _time.Advance(TimeSpan.FromSeconds(260));
        Settle(workbook, 20);
        workbook.ExpireLeases(Now);
        var atTwentyUnitsIn260Seconds = workbook.EstimateCompletion(Now);
        Settle(workbook, 10);

        Assert.Null(beforeAnySweep);
        Assert.Null(beforeAnyUnitSettled);
        Assert.Equal(Start.AddSeconds(60 + 180), atTenUnitsAMinute);
        Assert.Equal(Start.AddSeconds(320 + 130), atTwentyUnitsIn260Seconds);
        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Null(workbook.EstimateCompletion(Now));
    }

    [Fact]
    public void Results_accepted_alone_and_waiting_for_a_check_count_toward_the_pace_of_the_completion_estimate()
    {
        // Spot checks off: Alice's units are all accepted alone, so none is assimilated before a check of her.
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        workbook.ExpireLeases(Now);
        _time.Advance(TimeSpan.FromSeconds(60));
        foreach (var lease in workbook.Lease(Trusted(Alice), 4, Now).Leases)
        {
            workbook.Apply(HonestResult(lease), Now);
        }
        workbook.ExpireLeases(Now);

        // Four units in 60 s, six to go.
        Assert.Equal((0L, 4L), (workbook.Job.UnitsAssimilated, workbook.CountUnits().Valid));
        Assert.Equal(Start.AddSeconds(60 + 90), workbook.EstimateCompletion(Now));
    }

    [Fact]
    public void The_last_unit_out_alone_with_a_host_that_never_reports_is_settled_through_a_speculative_replica()
    {
        // Alice, trusted, holds the last unit alone and goes silent; Bob, fast but not trusted, takes the speculative replica.
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 3600, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var alice = Assert.Single(workbook.Lease(Trusted(Alice, Usual), 1, Now).Leases);
        workbook.ExpireLeases(Now);
        _time.Advance(TimeSpan.FromSeconds(31));
        workbook.ExpireLeases(Now);
        var bob = Assert.Single(workbook.Lease(Taking(Bob, Usual), 1, Now).Leases);
        _time.Advance(TimeSpan.FromSeconds(Usual));
        workbook.Apply(HonestResult(bob), Now);

        // However the unit is settled, it must not wait for Alice's deadline, an hour away.
        for (var sweep = 0; sweep < 10 && workbook.Job.State == JobState.Running; sweep++)
        {
            _time.Advance(TimeSpan.FromSeconds(Usual));
            workbook.ExpireLeases(Now);
            workbook.Lease(Taking(Carol, Usual), 1, Now).Leases.ToList().ForEach(l => workbook.Apply(HonestResult(l), Now));
        }

        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.True(workbook.Job.FinishedAt < alice.Deadline);
        Assert.Equal(PrimeCountOf(1), workbook.Job.Accumulated);
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Settles the next <paramref name="units"/> units with Alice and Bob agreeing, each at once.</summary>
    private void Settle(JobWorkbook workbook, int units)
    {
        var leases = workbook.Lease(Alice, units, Now).Leases.Concat(workbook.Lease(Bob, units, Now).Leases).ToList();
        leases.ForEach(l => workbook.Apply(HonestResult(l), Now));
    }
}
