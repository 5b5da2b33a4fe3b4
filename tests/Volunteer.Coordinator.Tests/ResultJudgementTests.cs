using Microsoft.Extensions.Time.Testing;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using static Volunteer.Coordinator.Tests.PrimesWorkbooks;

namespace Volunteer.Coordinator.Tests;

/// <summary>
/// How results are judged and how each host's judgements are tallied for its quota: results the app can tell
/// are wrong by themselves, results the reducer cannot fold however many hosts agree on them, and dissenters.
/// </summary>
public sealed class ResultJudgementTests
{
    private const string MoreThanTheRangeHolds = "The primes result payload claims 101 primes in [0, 100), more than the range holds.";

    private static readonly Judgements OneValid = new(1, 0, 0, 0);
    private static readonly Judgements OneInvalid = new(0, 1, 0, 0);
    private static readonly Judgements None = new(0, 0, 0, 0);

    private readonly FakeTimeProvider _time = new(Start);

    [Theory]
    [InlineData("""{"primeCount":101}""", MoreThanTheRangeHolds)]
    [InlineData("42 primes", "The primes result payload is not valid JSON.")]
    public void An_implausible_result_is_invalid_at_once_counts_against_its_host_and_never_becomes_canonical(string payload, string why)
    {
        var workbook = NewJob(unitCount: 1);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);

        workbook.Apply(Result(alice, System.Text.Encoding.UTF8.GetBytes(payload)), now);
        var judged = Assert.Single(workbook.TakeChanges().Replicas, r => r.Replica == 0);
        var talliedAtOnce = JudgementsOf(workbook.TakeTallies());
        workbook.Apply(Result(bob, 25), now);
        var carol = Assert.Single(workbook.Lease(Carol, 1, now).Leases);
        workbook.Apply(Result(carol, 25), now);

        Assert.Equal((ReplicaState.Invalid, why), (judged.State, judged.Error));
        Assert.Equal(new Dictionary<Guid, Judgements> { [Alice.WorkerId] = OneInvalid }, talliedAtOnce);
        Assert.Equal((0L, 2), (carol.UnitIndex, carol.Replica));
        var changes = workbook.TakeChanges();
        Assert.Equal(1, Assert.Single(changes.Units).CanonicalReplica);
        Assert.Equal(
            [ReplicaState.Valid, ReplicaState.Valid],
            changes.Replicas.OrderBy(r => r.Replica).Select(r => r.State));
        Assert.Equal("""{"primeCount":25}""", workbook.Job.Accumulated);
        Assert.Equal(new Dictionary<Guid, Judgements> { [Bob.WorkerId] = OneValid, [Carol.WorkerId] = OneValid }, JudgementsOf(workbook.TakeTallies()));
    }

    [Fact]
    public void Two_hosts_agreeing_on_an_implausible_result_are_both_invalid_and_honest_hosts_settle_the_unit()
    {
        var workbook = NewJob(unitCount: 1);
        var now = _time.GetUtcNow();

        SettleWithTwoLiarsThenTwoHonestHosts(workbook, now);

        AssertTheLiarsInvalidAndTheHonestCanonical(workbook, MoreThanTheRangeHolds);
    }

    [Fact]
    public void Agreeing_results_the_reducer_cannot_fold_are_invalid_and_fresh_replicas_go_to_other_hosts()
    {
        // An app that cannot judge a result alone: the liars' agreement reaches quorum, and only the reducer refuses it.
        var workbook = NewJob(unitCount: 1, app: new PrimesJudgedOnlyByTheReducer());
        var now = _time.GetUtcNow();

        SettleWithTwoLiarsThenTwoHonestHosts(workbook, now);

        AssertTheLiarsInvalidAndTheHonestCanonical(workbook, $"The result could not be assimilated: {MoreThanTheRangeHolds}");
    }

    /// <summary>After <see cref="SettleWithTwoLiarsThenTwoHonestHosts"/>: the honest count is the job's, the liars' replicas are invalid for <paramref name="why"/>.</summary>
    private static void AssertTheLiarsInvalidAndTheHonestCanonical(JobWorkbook workbook, string why)
    {
        Assert.Equal(JobState.Completed, workbook.Job.State);
        Assert.Equal("""{"primeCount":25}""", workbook.Job.Accumulated);
        var changes = workbook.TakeChanges();
        Assert.Equal(2, Assert.Single(changes.Units).CanonicalReplica);
        Assert.Equal(
            [(ReplicaState.Invalid, why), (ReplicaState.Invalid, why), (ReplicaState.Valid, null), (ReplicaState.Valid, null)],
            changes.Replicas.OrderBy(r => r.Replica).Select(r => (r.State, r.Error)));
        Assert.Equal(
            new Dictionary<Guid, Judgements>
            {
                [Alice.WorkerId] = OneInvalid, [Bob.WorkerId] = OneInvalid, [Carol.WorkerId] = OneValid, [Dave.WorkerId] = OneValid,
            },
            JudgementsOf(workbook.TakeTallies()));
    }

    [Fact]
    public void Results_the_reducer_cannot_fold_fail_the_unit_once_its_budget_is_spent()
    {
        var workbook = NewJob(unitCount: 1, redundancy: new Redundancy(2, 2, 2, 4), app: new PrimesJudgedOnlyByTheReducer());
        var now = _time.GetUtcNow();

        foreach (var liar in new[] { Alice, Bob, Carol, Dave })
        {
            workbook.Apply(Result(Assert.Single(workbook.Lease(liar, 1, now).Leases), 101), now);
        }

        Assert.Equal(JobState.Failed, workbook.Job.State);
        Assert.Equal("Unit 0 failed: No 2 results agreed within 4 replicas. 1 of 1 units have failed; at most 0 (1%) may.",
            workbook.Job.FailureReason);
        Assert.Equal(Enumerable.Repeat(ReplicaState.Invalid, 4), workbook.TakeChanges().Replicas.Select(r => r.State));
        Assert.Equal(
            new Dictionary<Guid, Judgements>
            {
                [Alice.WorkerId] = OneInvalid, [Bob.WorkerId] = OneInvalid, [Carol.WorkerId] = OneInvalid, [Dave.WorkerId] = OneInvalid,
            },
            JudgementsOf(workbook.TakeTallies()));
    }

    [Fact]
    public void A_plausible_but_wrong_minority_is_tallied_invalid_and_the_majority_valid()
    {
        var workbook = NewJob(unitCount: 1);
        var now = _time.GetUtcNow();
        var alice = Assert.Single(workbook.Lease(Alice, 1, now).Leases);
        var bob = Assert.Single(workbook.Lease(Bob, 1, now).Leases);

        workbook.Apply(Result(alice, 25), now);
        workbook.Apply(Result(bob, 24), now);
        var untilTheTieIsBroken = JudgementsOf(workbook.TakeTallies());
        workbook.Apply(Result(Assert.Single(workbook.Lease(Carol, 1, now).Leases), 25), now);

        // Nothing is judged while the two disagree; the hosts only learn that they hold nothing of the job any more.
        Assert.Equal(new Dictionary<Guid, Judgements> { [Alice.WorkerId] = None, [Bob.WorkerId] = None }, untilTheTieIsBroken);
        Assert.Equal(
            new Dictionary<Guid, Judgements> { [Alice.WorkerId] = OneValid, [Bob.WorkerId] = OneInvalid, [Carol.WorkerId] = OneValid },
            JudgementsOf(workbook.TakeTallies()));
    }

    [Fact]
    public void Tallies_sum_each_hosts_judgements_across_units_and_are_cleared_once_taken()
    {
        var workbook = NewJob(unitCount: 3, deadlineSeconds: 60);
        var now = _time.GetUtcNow();
        var alice = workbook.Lease(Alice, 3, now).Leases;
        var bob = workbook.Lease(Bob, 2, now).Leases;

        workbook.Apply(Result(alice[0], 25), now);
        workbook.Apply(Result(bob[0], 25), now);
        workbook.Apply(Error(alice[1]), now);
        workbook.Apply(Result(bob[1], 21), now);
        _time.Advance(TimeSpan.FromSeconds(60));
        workbook.ExpireLeases(_time.GetUtcNow());

        // Bob's count for unit 1 waits for a second result: nothing is tallied for it yet.
        Assert.Equal(
            new Dictionary<Guid, Judgements> { [Alice.WorkerId] = new(1, 0, 1, 1), [Bob.WorkerId] = OneValid },
            JudgementsOf(workbook.TakeTallies()));
        Assert.Empty(JudgementsOf(workbook.TakeTallies()));
    }

    /// <summary>Only the judgements of each host's tally: the turnarounds it also carries are for its reliability.</summary>
    private static Dictionary<Guid, Judgements> JudgementsOf(IReadOnlyDictionary<Guid, HostTally> tallies) =>
        tallies.ToDictionary(t => t.Key, t => new Judgements(t.Value.Valid, t.Value.Invalid, t.Value.Errors, t.Value.TimedOut));

    private sealed record Judgements(long Valid, long Invalid, long Errors, long TimedOut);

    /// <summary>Alice and Bob both claim 101 primes in unit 0; Carol and Dave, who get the fresh replicas, report the 25 there are.</summary>
    private static void SettleWithTwoLiarsThenTwoHonestHosts(JobWorkbook workbook, DateTimeOffset now)
    {
        workbook.Apply(Result(Assert.Single(workbook.Lease(Alice, 1, now).Leases), 101), now);
        workbook.Apply(Result(Assert.Single(workbook.Lease(Bob, 1, now).Leases), 101), now);
        Assert.Empty(workbook.Lease(Alice, 1, now).Leases);
        Assert.Empty(workbook.Lease(Bob, 1, now).Leases);
        var carol = Assert.Single(workbook.Lease(Carol, 1, now).Leases);
        var dave = Assert.Single(workbook.Lease(Dave, 1, now).Leases);
        Assert.Equal([2, 3], [carol.Replica, dave.Replica]);
        workbook.Apply(Result(carol, 25), now);
        workbook.Apply(Result(dave, 25), now);
    }
}
