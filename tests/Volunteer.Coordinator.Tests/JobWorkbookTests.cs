using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

public sealed class JobWorkbookTests
{
    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Units_are_split_out_only_as_workers_ask_for_them()
    {
        var workbook = NewJob(unitCount: 1000);

        var leased = workbook.Lease(Alice, 3, _time.GetUtcNow()).Leases;

        Assert.Equal([0L, 1L, 2L], leased.Select(a => a.UnitIndex));
        Assert.Equal(3, workbook.Job.UnitsOpened);
        Assert.Equal(new UnitCounts(997, 3, 0, 0, 0), workbook.CountUnits());
    }

    [Fact]
    public void The_open_window_is_bounded()
    {
        var workbook = NewJob(unitCount: 1000, maxOpenUnits: 4);

        var leased = workbook.Lease(Alice, 10, _time.GetUtcNow()).Leases;

        Assert.Equal(4, leased.Count);
        Assert.Equal(4, workbook.Job.UnitsOpened);
    }

    [Fact]
    public void Replicas_of_one_unit_go_to_different_workers()
    {
        var workbook = NewJob(unitCount: 2);

        var alice = workbook.Lease(Alice, 2, _time.GetUtcNow()).Leases;
        var aliceAgain = workbook.Lease(Alice, 2, _time.GetUtcNow()).Leases;
        var bob = workbook.Lease(Bob, 5, _time.GetUtcNow()).Leases;

        Assert.Equal([0L, 1L], alice.Select(a => a.UnitIndex));
        Assert.Empty(aliceAgain);
        Assert.Equal([0L, 1L], bob.Select(a => a.UnitIndex));
        Assert.All(bob, b => Assert.Equal(1, b.Replica));
    }

    [Fact]
    public void Leases_a_worker_says_it_does_not_hold_are_sent_again()
    {
        var workbook = NewJob(unitCount: 10, deadlineSeconds: 60);
        var first = workbook.Lease(Alice, 2, _time.GetUtcNow()).Leases;
        workbook.TakeChanges();
        _time.Advance(TimeSpan.FromSeconds(10));

        var unknown = workbook.Lease(Alice, 1, _time.GetUtcNow(), held: null).Leases;
        var resent = workbook.Lease(Alice, 2, _time.GetUtcNow(), held: [first[0].Ref, unknown[0].Ref]).Leases;

        Assert.Equal([2L], unknown.Select(a => a.UnitIndex));
        Assert.Equal([1L, 3L], resent.Select(a => a.UnitIndex));
        Assert.Equal((first[1].Ref, first[1].Deadline), (resent[0].Ref, resent[0].Deadline));
        Assert.DoesNotContain(workbook.TakeChanges().Replicas, r => r.UnitIndex == 1);
    }

    [Fact]
    public void A_lease_past_its_deadline_is_not_sent_again()
    {
        var workbook = NewJob(unitCount: 10, deadlineSeconds: 60);
        workbook.Lease(Alice, 1, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(60));

        var leased = workbook.Lease(Alice, 1, _time.GetUtcNow(), held: []).Leases;

        Assert.Equal([1L], leased.Select(a => a.UnitIndex));
    }

    [Fact]
    public void Leases_carry_the_unit_input_and_a_deadline()
    {
        var workbook = NewJob(unitCount: 10, deadlineSeconds: 60);

        var assignment = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);

        Assert.Equal("""{"from":0,"to":100}""", assignment.Input);
        Assert.Equal(_time.GetUtcNow().AddSeconds(60), assignment.Deadline);
    }

    [Fact]
    public void A_missed_deadline_voids_the_lease_and_sends_out_another_replica()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        var late = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Single(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
        workbook.TakeChanges();

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, workbook.ExpireLeases(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, workbook.ExpireLeases(_time.GetUtcNow()));

        var changes = workbook.TakeChanges();
        Assert.Equal(
            [(0, ReplicaState.TimedOut), (2, ReplicaState.Unsent)],
            changes.Replicas.Select(r => (r.Replica, r.State)).OrderBy(r => r.Replica));
        Assert.Equal(ReportVerdict.LeaseExpired, workbook.Judge(Alice.WorkerId, late.Ref, _time.GetUtcNow()));
        var replacement = Assert.Single(workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases);
        Assert.Equal(2, replacement.Replica);
    }

    [Fact]
    public void A_worker_whose_lease_timed_out_never_gets_that_unit_again()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        var late = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
        workbook.Apply(Result(bob, 25), _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(60));
        workbook.ExpireLeases(_time.GetUtcNow());

        Assert.Empty(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        Assert.Empty(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
        var carol = Assert.Single(workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases);

        Assert.Equal((0L, 2), (carol.UnitIndex, carol.Replica));
        Assert.Equal(ReportVerdict.LeaseExpired, workbook.Judge(Alice.WorkerId, late.Ref, _time.GetUtcNow()));
        workbook.Apply(Result(carol, 25), _time.GetUtcNow());
        Assert.Equal(JobState.Completed, workbook.Job.State);
    }

    [Fact]
    public void A_worker_that_abandons_its_leases_cannot_exhaust_a_units_budget_alone()
    {
        // Up to 6 replicas per unit: an abandoning worker gets one of them, and honest workers complete the unit.
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60, redundancy: new Redundancy(2, 2, 3, 6));
        for (var round = 0; round < 6; round++)
        {
            workbook.Lease(Alice, 1, _time.GetUtcNow());
            _time.Advance(TimeSpan.FromSeconds(60));
            workbook.ExpireLeases(_time.GetUtcNow());
        }
        var timedOut = workbook.TakeChanges().Replicas.Count(r => r.State == ReplicaState.TimedOut && r.WorkerId == Alice.WorkerId);

        var bob = Assert.Single(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
        var carol = Assert.Single(workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases);
        workbook.Apply(Result(bob, 25), _time.GetUtcNow());
        workbook.Apply(Result(carol, 25), _time.GetUtcNow());

        Assert.Equal(1, timedOut);
        Assert.Equal(JobState.Completed, workbook.Job.State);
    }

    [Fact]
    public void A_report_after_the_deadline_is_refused_even_before_the_sweep()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        var lease = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);

        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(ReportVerdict.LeaseExpired, workbook.Judge(Alice.WorkerId, lease.Ref, _time.GetUtcNow()));
    }

    [Fact]
    public void Reports_are_judged_against_the_lease()
    {
        var workbook = NewJob(unitCount: 1);
        var lease = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        var now = _time.GetUtcNow();

        Assert.Equal(ReportVerdict.Accept, workbook.Judge(Alice.WorkerId, lease.Ref, now));
        Assert.Equal(ReportVerdict.NotLeasedToWorker, workbook.Judge(Bob.WorkerId, lease.Ref, now));
        Assert.Equal(ReportVerdict.NotLeasedToWorker, workbook.Judge(Alice.WorkerId, lease.Ref with { Replica = 1 }, now));
        Assert.Equal(ReportVerdict.NotLeasedToWorker, workbook.Judge(Alice.WorkerId, lease.Ref with { Replica = 7 }, now));
        Assert.Null(workbook.Judge(Alice.WorkerId, lease.Ref with { UnitIndex = 5 }, now));

        workbook.Apply(Result(lease, 25), now);
        Assert.Equal(ReportVerdict.AlreadyReported, workbook.Judge(Alice.WorkerId, lease.Ref, now));
    }

    [Fact]
    public void Agreeing_reports_are_validated_assimilated_once_and_complete_the_job()
    {
        var workbook = NewJob(unitCount: 2);
        var now = _time.GetUtcNow();
        var alice = workbook.Lease(Alice, 2, now).Leases;
        var bob = workbook.Lease(Bob, 2, now).Leases;

        workbook.Apply(Result(alice[0], 25), now);
        workbook.Apply(Result(alice[1], 21), now);
        workbook.Apply(Result(bob[0], 25), now);
        Assert.Equal(JobState.Running, workbook.Job.State);
        Assert.Equal(1, workbook.Job.UnitsAssimilated);
        workbook.Apply(Result(bob[1], 21), now);

        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Equal("""{"primeCount":46}""", workbook.Job.Accumulated);
        Assert.Equal(2, workbook.Job.UnitsAssimilated);
        Assert.Equal(now, workbook.Job.FinishedAt);
        var changes = workbook.TakeChanges();
        Assert.All(changes.Units, u => Assert.Equal(UnitState.Assimilated, u.State));
        Assert.All(changes.Replicas, r => Assert.Equal(ReplicaState.Valid, r.State));
        Assert.Equal([0, 0], changes.Units.Select(u => u.CanonicalReplica!.Value));
    }

    [Fact]
    public void A_dissenting_result_is_invalid_and_does_not_reach_the_job_result()
    {
        var workbook = NewJob(unitCount: 1);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);

        workbook.Apply(Result(alice, 25), now);
        workbook.Apply(Result(bob, 99), now);
        var carol = Assert.Single(workbook.Lease(Carol, 1, now).Leases);
        Assert.Equal(2, carol.Replica);
        workbook.Apply(Result(carol, 25), now);

        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Equal("""{"primeCount":25}""", workbook.Job.Accumulated);
        var replicas = workbook.TakeChanges().Replicas.OrderBy(r => r.Replica).Select(r => r.State);
        Assert.Equal([ReplicaState.Valid, ReplicaState.Invalid, ReplicaState.Valid], replicas);
    }

    [Fact]
    public void Too_many_errors_fail_the_unit_and_the_job()
    {
        var workbook = NewJob(unitCount: 2, redundancy: new Redundancy(1, 1, 0, 3));
        var now = _time.GetUtcNow();
        var lease = workbook.Lease(Alice, 2, now).Leases;

        workbook.Apply(new ReplicaResult(new ReplicaRef(lease[0].JobId, 0, 0), ReportOutcome.Error, null, 0, null, "out of memory"), now);

        Assert.Equal(JobState.Failed, workbook.Job.State);
        Assert.Equal("Unit 0 failed: Replicas of 1 account(s) reported errors; at most 0 are allowed. 1 of 2 units have failed; at most 0 (1%) may.",
            workbook.Job.FailureReason);
        Assert.Equal(ReportVerdict.ReplicaCancelled, workbook.Judge(Alice.WorkerId, lease[1].Ref, now));
        Assert.Empty(workbook.Lease(Bob, 1, now).Leases);
    }

    [Fact]
    public void A_failed_unit_is_the_units_own_and_the_job_completes_without_it()
    {
        var workbook = NewJob(unitCount: 100, redundancy: new Redundancy(1, 1, 0, 1));
        var now = _time.GetUtcNow();
        var leases = workbook.Lease(Alice, 100, now).Leases;

        workbook.Apply(Error(leases[7]), now);
        Assert.Equal(JobState.Running, workbook.Job.State);
        foreach (var lease in leases.Where(l => l.UnitIndex != 7))
        {
            workbook.Apply(Result(lease, 25), now);
        }

        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Null(workbook.Job.FailureReason);
        Assert.Equal((99L, 1L), (workbook.Job.UnitsAssimilated, workbook.Job.UnitsFailed));
        Assert.Equal("""{"primeCount":2475}""", workbook.Job.Accumulated);
        var failed = Assert.Single(workbook.TakeChanges().Units, u => u.State == UnitState.Failed);
        Assert.Equal(7, failed.UnitIndex);
    }

    [Fact]
    public void One_failed_unit_more_than_the_allowed_share_fails_the_job()
    {
        // 1% of 100 units: one may fail, the second fails the job.
        var workbook = NewJob(unitCount: 100, redundancy: new Redundancy(1, 1, 0, 1));
        var now = _time.GetUtcNow();
        var leases = workbook.Lease(Alice, 3, now).Leases;

        workbook.Apply(Error(leases[0]), now);
        workbook.Apply(Result(leases[1], 25), now);
        Assert.Equal(JobState.Running, workbook.Job.State);
        workbook.Apply(Error(leases[2]), now);

        Assert.Equal(JobState.Failed, workbook.Job.State);
        Assert.Equal("Unit 2 failed: Replicas of 1 account(s) reported errors; at most 0 are allowed. 2 of 100 units have failed; at most 1 (1%) may.",
            workbook.Job.FailureReason);
        Assert.Empty(workbook.Lease(Bob, 1, now).Leases);
    }

    [Fact]
    public void Cancelling_a_job_cancels_its_replicas_and_stops_leasing()
    {
        var workbook = NewJob(unitCount: 5);
        var now = _time.GetUtcNow();
        var lease = Assert.Single(workbook.Lease(Alice, 1, now).Leases);

        Assert.True(workbook.Cancel(now));
        Assert.False(workbook.Cancel(now));

        Assert.Equal(JobState.Cancelled, workbook.Job.State);
        Assert.Equal(ReportVerdict.ReplicaCancelled, workbook.Judge(Alice.WorkerId, lease.Ref, now));
        Assert.False(workbook.IsLeasedTo(Alice.WorkerId, lease.Ref, now));
        Assert.Empty(workbook.Lease(Bob, 1, now).Leases);
    }

    [Fact]
    public void A_workbook_rebuilt_from_its_own_changes_carries_on_where_it_stopped()
    {
        var workbook = NewJob(unitCount: 3);
        var now = _time.GetUtcNow();
        var alice = workbook.Lease(Alice, 2, now).Leases;
        workbook.Apply(Result(alice[0], 25), now);
        var changes = workbook.TakeChanges();

        var reloaded = Reopen(workbook, changes);

        Assert.Equal(ReportVerdict.AlreadyReported, reloaded.Judge(Alice.WorkerId, alice[0].Ref, now));
        Assert.Equal(ReportVerdict.Accept, reloaded.Judge(Alice.WorkerId, alice[1].Ref, now));
        Assert.Equal([0L, 1L, 2L], reloaded.Lease(Bob, 3, now).Leases.Select(a => a.UnitIndex));
    }
}
