using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// Where a replica may go: never to a host, account or network that had a replica of its unit, and picked at
/// random among the oldest waiting units. The random draws are judged over many independent trials with bounds
/// whose chance of failing an honest implementation is given beside each; none of them depends on timing.
/// </summary>
public sealed class ReplicaPlacementTests
{
    private const int Trials = 200;

    /// <summary>The coordinator's default pool.</summary>
    private const int PoolSize = 64;

    private static readonly VolunteerHost AlicesDesktop = AnotherHostOf(Alice, "a2a2a2a2", "2001:db8:a::/48");

    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void Two_hosts_of_one_account_never_get_replicas_of_one_unit()
    {
        var workbook = NewJob(unitCount: 2);

        var laptop = workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases;
        var desktop = workbook.Lease(AlicesDesktop, 2, _time.GetUtcNow()).Leases;
        var laptopAgain = workbook.Lease(Alice, 2, _time.GetUtcNow()).Leases;

        Assert.Equal([(0L, 0)], laptop.Select(l => (l.UnitIndex, l.Replica)));
        Assert.Equal([(1L, 0)], desktop.Select(l => (l.UnitIndex, l.Replica)));
        Assert.Empty(laptopAgain);
    }

    [Fact]
    public void A_host_of_an_account_whose_other_host_let_the_lease_time_out_still_never_gets_the_unit()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, workbook.ExpireLeases(_time.GetUtcNow()));

        var desktop = workbook.Lease(AlicesDesktop, 1, _time.GetUtcNow()).Leases;
        var bob = workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases;
        var carol = workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases;

        Assert.Empty(desktop);
        Assert.Equal([(0L, 1)], bob.Select(l => (l.UnitIndex, l.Replica)));
        Assert.Equal([(0L, 2)], carol.Select(l => (l.UnitIndex, l.Replica)));
    }

    [Fact]
    public void Two_accounts_on_one_network_never_get_replicas_of_one_unit()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);

        var whileAliceHoldsIt = workbook.Lease(Mallory, 1, _time.GetUtcNow()).Leases;
        _time.Advance(TimeSpan.FromSeconds(60));
        workbook.ExpireLeases(_time.GetUtcNow());
        var afterAlicesTimedOut = workbook.Lease(Mallory, 1, _time.GetUtcNow()).Leases;
        var bob = workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases;

        Assert.Empty(whileAliceHoldsIt);
        Assert.Empty(afterAlicesTimedOut);
        Assert.Equal([(0L, 1)], bob.Select(l => (l.UnitIndex, l.Replica)));
    }

    [Fact]
    public void With_networks_not_separated_two_accounts_behind_one_address_may_share_a_unit()
    {
        // SeparateNetworks off: the sync API gives placement no network at all.
        var workbook = NewJob(unitCount: 1);

        var alice = workbook.Lease(Alice with { Network = null }, 1, _time.GetUtcNow()).Leases;
        var mallory = workbook.Lease(Mallory with { Network = null }, 1, _time.GetUtcNow()).Leases;

        Assert.Equal([(0L, 0)], alice.Select(l => (l.UnitIndex, l.Replica)));
        Assert.Equal([(0L, 1)], mallory.Select(l => (l.UnitIndex, l.Replica)));
    }

    [Fact]
    public void A_host_never_gets_a_second_replica_of_a_unit_it_reported()
    {
        var workbook = NewJob(unitCount: 1);
        var alice = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);

        // They disagree, so the unit wants a third replica: neither of them may be its tie-breaker.
        workbook.Apply(Result(alice, 25), _time.GetUtcNow());
        workbook.Apply(Result(bob, 24), _time.GetUtcNow());

        Assert.Empty(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        Assert.Empty(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
        var carol = Assert.Single(workbook.Lease(Carol, 1, _time.GetUtcNow()).Leases);
        Assert.Equal((0L, 2), (carol.UnitIndex, carol.Replica));
    }

    [Fact]
    public void A_workbook_reopened_from_the_store_remembers_whose_account_and_network_held_each_replica()
    {
        var workbook = NewJob(unitCount: 1, deadlineSeconds: 60);
        Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
        _time.Advance(TimeSpan.FromSeconds(60));
        workbook.ExpireLeases(_time.GetUtcNow());

        var reopened = Reopen(workbook, workbook.TakeChanges());

        Assert.Empty(reopened.Lease(AlicesDesktop, 1, _time.GetUtcNow()).Leases);
        Assert.Empty(reopened.Lease(Mallory, 1, _time.GetUtcNow()).Leases);
        Assert.Single(reopened.Lease(Bob, 1, _time.GetUtcNow()).Leases);
    }

    [Fact]
    public void With_a_pool_the_unit_handed_out_is_drawn_from_the_oldest_and_is_not_always_the_oldest()
    {
        // Each trial is a fresh job: its first lease of one unit draws from units 0..63, each with chance 1/64.
        // All 200 draws landing in some set of at most 15 units has chance below C(64,15)·(15/64)^200 < 10^-111.
        var picks = Enumerable.Range(0, Trials)
            .Select(_ => Assert.Single(NewJob(unitCount: 1000, maxOpenUnits: 1000, placementPoolSize: PoolSize)
                .Lease(Alice, 1, _time.GetUtcNow()).Leases).UnitIndex)
            .ToList();

        Assert.All(picks, unit => Assert.InRange(unit, 0, PoolSize - 1));
        Assert.True(picks.Distinct().Count() >= 16, $"{Trials} draws hit only units {string.Join(", ", picks.Distinct().Order())}.");
    }

    [Fact]
    public void Each_pick_lies_within_the_oldest_units_the_host_may_get()
    {
        // Alice's laptop takes 4 units; her desktop may not have those, so its window of 4 + 8 - 1 = 11 is the
        // oldest 11 units other than the laptop's, wherever the laptop's picks fell.
        const int wanted = 4, pool = 8;
        for (var trial = 0; trial < Trials; trial++)
        {
            var workbook = NewJob(unitCount: 1000, maxOpenUnits: 1000, placementPoolSize: pool);

            var laptop = workbook.Lease(Alice, wanted, _time.GetUtcNow()).Leases.Select(l => l.UnitIndex).ToList();
            var desktop = workbook.Lease(AlicesDesktop, wanted, _time.GetUtcNow()).Leases.Select(l => l.UnitIndex).ToList();

            var laptopWindow = Enumerable.Range(0, wanted + pool - 1).Select(i => (long)i);
            var desktopWindow = Enumerable.Range(0, 1000).Select(i => (long)i).Except(laptop).Take(wanted + pool - 1);
            Assert.Equal(wanted, laptop.Distinct().Count());
            Assert.Subset(laptopWindow.ToHashSet(), laptop.ToHashSet());
            Assert.Equal(wanted, desktop.Distinct().Count());
            Assert.Subset(desktopWindow.ToHashSet(), desktop.ToHashSet());
        }
    }

    [Fact]
    public void Two_hosts_asking_back_to_back_seldom_get_sibling_replicas()
    {
        // Bob's pool is the same 64 units Alice drew from (hers still waits for its second replica), so he gets
        // her unit with chance 1/64: about 3 trials in 200. A pool of one would hand him her unit every time.
        // Half the trials or more doing so has chance below 10^-122 (binomial tail, n = 200, p = 1/64).
        var siblings = Enumerable.Range(0, Trials).Count(_ =>
        {
            var workbook = NewJob(unitCount: 1000, maxOpenUnits: 1000, placementPoolSize: PoolSize);
            var alice = Assert.Single(workbook.Lease(Alice, 1, _time.GetUtcNow()).Leases);
            var bob = Assert.Single(workbook.Lease(Bob, 1, _time.GetUtcNow()).Leases);
            return alice.UnitIndex == bob.UnitIndex;
        });

        Assert.InRange(siblings, 0, Trials / 2 - 1);
    }
}
