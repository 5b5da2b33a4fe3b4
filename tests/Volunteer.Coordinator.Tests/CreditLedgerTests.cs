using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// The credit ledger a job writes: a line for each replica that matched its unit's canonical result, written at
/// validation and never before; a negative line when a result accepted alone goes back to be replicated; and the
/// totals and recent averages the store keeps from the lines.
/// </summary>
public sealed class CreditLedgerTests
{
    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Both_agreeing_replicas_are_credited_at_validation_and_not_before()
    {
        var workbook = NewJob(unitCount: 1);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);

        workbook.Apply(HonestResult(alice), now);
        var beforeQuorum = workbook.TakeChanges().Credits;
        _time.Advance(TimeSpan.FromSeconds(30));
        var validatedAt = _time.GetUtcNow();
        workbook.Apply(HonestResult(bob), validatedAt);

        Assert.Empty(beforeQuorum);
        Assert.Equal(
            [
                new Line(Alice.AccountId, Alice.WorkerId, workbook.Job.Id, 0, 0, UnitCredit, validatedAt, validatedAt),
                new Line(Bob.AccountId, Bob.WorkerId, workbook.Job.Id, 0, 1, UnitCredit, validatedAt, validatedAt),
            ],
            LinesOf(workbook.TakeChanges().Credits));
    }

    [Fact]
    public void Replicas_that_errored_timed_out_or_dissented_are_not_credited()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60, redundancy: new Redundancy(2, 2, 2, 6));
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        Assert.Single(workbook.Lease(Bob, 1, now).Leases);
        workbook.Apply(Error(alice), now);
        workbook.Apply(Result(Assert.Single(workbook.Lease(Carol, 1, now).Leases), PrimesIn(0) - 1), now);
        _time.Advance(TimeSpan.FromSeconds(60));
        now = _time.GetUtcNow();
        Assert.Equal(1, workbook.ExpireLeases(now));
        workbook.Apply(HonestResult(Assert.Single(workbook.Lease(Dave, 1, now).Leases)), now);

        workbook.Apply(HonestResult(Assert.Single(workbook.Lease(Frank, 1, now).Leases)), now);

        Assert.Equal(JobState.Completed, workbook.Job.State);
        var changes = workbook.TakeChanges();
        Assert.Equal(
            [ReplicaState.Reported, ReplicaState.TimedOut, ReplicaState.Invalid, ReplicaState.Valid, ReplicaState.Valid],
            changes.Replicas.OrderBy(r => r.Replica).Select(r => r.State));
        Assert.Equal([(Dave.WorkerId, 3, UnitCredit), (Frank.WorkerId, 4, UnitCredit)], changes.Credits.Select(c => (c.WorkerId, c.Replica, c.Amount)));
    }

    [Fact]
    public void A_replica_is_judged_once_so_it_is_credited_once()
    {
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var now = _time.GetUtcNow();
        var lease = Assert.Single(workbook.Lease(Trusted(Alice), 1, now).Leases);

        workbook.Apply(HonestResult(lease), now);

        // Accepted alone, the unit stays open awaiting a check of Alice: a second report of its replica meets Judge, not Apply.
        Assert.Equal(ReportVerdict.AlreadyReported, workbook.Judge(Alice.WorkerId, lease.Ref, now));
        Assert.Equal([(Alice.WorkerId, 0L, UnitCredit)], workbook.TakeChanges().Credits.Select(c => (c.WorkerId, c.UnitIndex, c.Amount)));
    }

    [Fact]
    public void A_grant_taken_back_is_a_negative_line_as_of_when_it_was_earned_and_is_granted_again_on_validation()
    {
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var reportedAt = _time.GetUtcNow();
        workbook.Apply(HonestResult(Assert.Single(workbook.Lease(Trusted(Alice), 1, reportedAt).Leases)), reportedAt);
        var granted = workbook.TakeChanges().Credits;

        _time.Advance(TimeSpan.FromHours(1));
        var distrustedAt = _time.GetUtcNow();
        workbook.Distrust(Alice.WorkerId, distrustedAt);
        var revoked = workbook.TakeChanges().Credits;
        _time.Advance(TimeSpan.FromHours(1));
        var validatedAt = _time.GetUtcNow();
        workbook.Apply(HonestResult(Assert.Single(workbook.Lease(Bob, 1, validatedAt).Leases)), validatedAt);
        var grantedAgain = workbook.TakeChanges().Credits;

        var job = workbook.Job.Id;
        Assert.Equal([new Line(Alice.AccountId, Alice.WorkerId, job, 0, 0, UnitCredit, reportedAt, reportedAt)], LinesOf(granted));
        Assert.Equal([new Line(Alice.AccountId, Alice.WorkerId, job, 0, 0, -UnitCredit, reportedAt, distrustedAt)], LinesOf(revoked));
        Assert.Equal(
            [
                new Line(Alice.AccountId, Alice.WorkerId, job, 0, 0, UnitCredit, validatedAt, validatedAt),
                new Line(Bob.AccountId, Bob.WorkerId, job, 0, 1, UnitCredit, validatedAt, validatedAt),
            ],
            LinesOf(grantedAgain));
    }

    [Fact]
    public void Totals_kept_from_the_lines_add_up_each_holders_amounts_and_decayed_amounts()
    {
        // Alice's desktop and laptop share her account; her desktop is trusted, caught from outside, then checked.
        var laptop = AnotherHostOf(Alice, "a1a1a1a1", "2001:db8:a::/48");
        var workbook = NewJob(unitCount: 10, adaptive: true, spotCheckShare: 0, random: new Random(2026));
        var lines = new List<CreditEntryRecord>();
        var now = _time.GetUtcNow();
        workbook.Lease(Trusted(Alice), 2, now).Leases.ToList().ForEach(l => workbook.Apply(HonestResult(l), now));
        lines.AddRange(workbook.TakeChanges().Credits);
        _time.Advance(TimeSpan.FromDays(3));
        now = _time.GetUtcNow();
        workbook.Distrust(Alice.WorkerId, now);
        workbook.Lease(Bob, 2, now).Leases.ToList().ForEach(l => workbook.Apply(HonestResult(l), now));
        lines.AddRange(workbook.TakeChanges().Credits);
        _time.Advance(TimeSpan.FromDays(2));
        now = _time.GetUtcNow();
        var leases = workbook.Lease(laptop, 1, now).Leases.Concat(workbook.Lease(Carol, 1, now).Leases);
        leases.ToList().ForEach(l => workbook.Apply(HonestResult(l), now));
        lines.AddRange(workbook.TakeChanges().Credits);

        var totals = lines.SelectMany(CreditTotalRecord.Of)
            .GroupBy(t => (t.Holder, t.HolderId))
            .ToDictionary(g => g.Key, g => g.Aggregate((sum, t) => sum.Plus(t)));

        Assert.Equal(10, lines.Count);
        Assert.Equal(
            [(CreditHolder.Account, Alice.AccountId), (CreditHolder.Account, Bob.AccountId), (CreditHolder.Account, Carol.AccountId),
             (CreditHolder.Host, laptop.WorkerId), (CreditHolder.Host, Alice.WorkerId), (CreditHolder.Host, Bob.WorkerId), (CreditHolder.Host, Carol.WorkerId)],
            totals.Keys.OrderBy(k => k.Holder).ThenBy(k => k.HolderId.ToString(), StringComparer.Ordinal));
        foreach (var ((holder, id), total) in totals)
        {
            var own = lines.Where(l => (holder == CreditHolder.Account ? l.AccountId : l.WorkerId) == id).ToList();
            Assert.Equal(own.Aggregate(0.0, (sum, l) => sum + l.Amount), total.Total);
            Assert.Equal(own.Aggregate(0.0, (sum, l) => sum + (l.Amount * CreditDecay.Weight(l.EarnedAt))), total.DecayedCredit);
            Assert.Equal(own.Count(l => l.Amount > 0) - own.Count(l => l.Amount < 0), total.ValidResults);
            Assert.Equal(own.Max(l => l.At), total.UpdatedAt);
        }
        // Alice's desktop: two grants, two revocations and two grants again; her laptop one grant; her account all seven lines.
        Assert.Equal((2L, 1L, 3L), (totals[(CreditHolder.Host, Alice.WorkerId)].ValidResults, totals[(CreditHolder.Host, laptop.WorkerId)].ValidResults,
            totals[(CreditHolder.Account, Alice.AccountId)].ValidResults));
    }

    [Fact]
    public void The_recent_average_of_a_steady_ten_credits_a_day_is_ten_and_halves_a_week_after_credit_stops()
    {
        // 10 credits a day, granted hourly for twenty weeks: the week-long half-life has forgotten where it started.
        var host = Alice;
        var hours = (int)TimeSpan.FromDays(7 * 20).TotalHours;
        var stop = CreditDecay.Origin.AddHours(hours);
        var total = Enumerable.Range(0, hours)
            .Select(h => CreditDecay.Origin.AddHours(h))
            .Select(at => new CreditEntryRecord(Guid.NewGuid(), host.AccountId, host.WorkerId, Guid.Empty, 0, 0, 10.0 / 24, at, at))
            .SelectMany(CreditTotalRecord.Of)
            .Where(t => t.Holder == CreditHolder.Host)
            .Aggregate((sum, t) => sum.Plus(t));

        var atTheStop = total.RecentAverage(stop);
        var aWeekLater = total.RecentAverage(stop.AddDays(7));

        Assert.InRange(atTheStop, 9.9, 10.1);
        Assert.Equal(atTheStop / 2, aWeekLater, 1e-12);
        Assert.Equal(20 * 7 * 10.0, total.Total, 1e-9);
    }

    /// <summary>A ledger line without its id, which is new for every line.</summary>
    private sealed record Line(Guid AccountId, Guid WorkerId, Guid JobId, long UnitIndex, int Replica, double Amount, DateTimeOffset EarnedAt, DateTimeOffset At);

    private static List<Line> LinesOf(IEnumerable<CreditEntryRecord> lines) =>
        [.. lines.Select(l => new Line(l.AccountId, l.WorkerId, l.JobId, l.UnitIndex, l.Replica, l.Amount, l.EarnedAt, l.At))];
}
