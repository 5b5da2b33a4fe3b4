using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// How much of a job one host and one account may have: the host's in-progress cap (mayHold, resends included),
/// its daily quota (mayIssue, new replicas only) and the account's cap across all its hosts.
/// </summary>
public sealed class LeaseLimitTests
{
    private static readonly VolunteerHost AlicesDesktop = AnotherHostOf(Alice, "a2a2a2a2", "2001:db8:a::/48");

    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void A_host_is_leased_only_up_to_what_it_may_hold()
    {
        var workbook = NewJob(unitCount: 10);

        var first = workbook.Lease(Alice, 5, _time.GetUtcNow(), mayHold: 3);
        var second = workbook.Lease(Alice, 5, _time.GetUtcNow(), mayHold: 3);
        var third = workbook.Lease(Alice, 5, _time.GetUtcNow(), mayHold: 4);

        Assert.Equal(("0 1 2", 3), Summary(first));
        Assert.Equal(("", 0), Summary(second));
        Assert.Equal(("3", 1), Summary(third));
        Assert.Equal(4, workbook.HoldingOf(Alice.WorkerId));
    }

    [Fact]
    public void Leases_a_host_lost_come_back_even_when_it_may_hold_no_more()
    {
        var workbook = NewJob(unitCount: 10);
        var first = workbook.Lease(Alice, 3, _time.GetUtcNow(), mayHold: 3).Leases;

        // The answer carrying units 1 and 2 never arrived; the cap was lowered to 1 since.
        var again = workbook.Lease(Alice, 5, _time.GetUtcNow(), held: [first[0].Ref], mayHold: 1);

        Assert.Equal([first[1], first[2]], again.Leases);
        Assert.Equal(("1 2", 0), Summary(again));
        Assert.Equal(3, workbook.HoldingOf(Alice.WorkerId));
    }

    [Fact]
    public void The_daily_quota_bounds_new_leases_but_not_resends_and_only_new_ones_are_counted_as_issued()
    {
        var workbook = NewJob(unitCount: 10);
        var first = workbook.Lease(Alice, 2, _time.GetUtcNow(), mayIssue: 2);

        var withOneLeft = workbook.Lease(Alice, 5, _time.GetUtcNow(), held: [], mayIssue: 1);
        var withNoneLeft = workbook.Lease(Alice, 5, _time.GetUtcNow(), held: [], mayIssue: 0);

        Assert.Equal(("0 1", 2), Summary(first));
        Assert.Equal(("0 1 2", 1), Summary(withOneLeft));
        Assert.Equal(("0 1 2", 0), Summary(withNoneLeft));
    }

    [Fact]
    public void Issued_counts_only_the_replicas_there_were_to_give()
    {
        // Two units, each of which Alice may have once: asked for five, she is issued two.
        var workbook = NewJob(unitCount: 2);

        var outcome = workbook.Lease(Alice, 5, _time.GetUtcNow());

        Assert.Equal(("0 1", 2), Summary(outcome));
    }

    [Fact]
    public void An_accounts_hosts_together_hold_no_more_than_the_accounts_cap()
    {
        var workbook = NewJob(unitCount: 10, maxInProgressPerAccount: 3);
        var laptop = workbook.Lease(Alice, 2, _time.GetUtcNow()).Leases;

        var desktop = workbook.Lease(AlicesDesktop, 5, _time.GetUtcNow());
        var laptopAgain = workbook.Lease(Alice, 5, _time.GetUtcNow());
        var bob = workbook.Lease(Bob, 5, _time.GetUtcNow());
        workbook.Apply(Result(laptop[0], 25), _time.GetUtcNow());
        var afterAReport = workbook.Lease(AlicesDesktop, 5, _time.GetUtcNow());

        Assert.Equal(("2", 1), Summary(desktop));
        Assert.Equal(("", 0), Summary(laptopAgain));
        // Bob's account has a cap of its own, untouched by Alice's.
        Assert.Equal(("0 1 2", 3), Summary(bob));
        Assert.Equal(("3", 1), Summary(afterAReport));
    }

    [Fact]
    public void What_a_host_holds_drops_as_its_replicas_are_reported_time_out_or_are_cancelled()
    {
        var workbook = NewJob(unitCount: 10, deadlineSeconds: 60);
        var early = workbook.Lease(Alice, 3, _time.GetUtcNow()).Leases;
        _time.Advance(TimeSpan.FromSeconds(30));
        workbook.Lease(Alice, 2, _time.GetUtcNow());
        var holding = new List<int> { workbook.HoldingOf(Alice.WorkerId) };

        workbook.Apply(Result(early[0], 25), _time.GetUtcNow());
        holding.Add(workbook.HoldingOf(Alice.WorkerId));
        workbook.Apply(Error(early[1]), _time.GetUtcNow());
        holding.Add(workbook.HoldingOf(Alice.WorkerId));
        _time.Advance(TimeSpan.FromSeconds(30));
        workbook.ExpireLeases(_time.GetUtcNow());
        holding.Add(workbook.HoldingOf(Alice.WorkerId));
        workbook.Cancel(_time.GetUtcNow());
        holding.Add(workbook.HoldingOf(Alice.WorkerId));

        Assert.Equal([5, 4, 3, 2, 0], holding);
        Assert.Equal(0, workbook.HoldingOf(Bob.WorkerId));
    }

    /// <summary>The units leased, in the order given, and how many of them were new.</summary>
    private static (string Units, int Issued) Summary(LeaseOutcome outcome) =>
        (string.Join(' ', outcome.Leases.Select(l => l.UnitIndex)), outcome.Issued);
}
