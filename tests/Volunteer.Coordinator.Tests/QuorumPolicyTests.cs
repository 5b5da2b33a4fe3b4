using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Tests;

public sealed class QuorumPolicyTests
{
    private static readonly Redundancy TwoOfTwo = new(TargetResults: 2, MinQuorum: 2, MaxErrorResults: 2, MaxTotalResults: 5);

    [Fact]
    public void Two_agreeing_results_make_the_unit_valid_with_the_first_as_canonical()
    {
        var decision = Decide(TwoOfTwo, Success(0, "a"), Success(1, "a"));

        var valid = Assert.IsType<QuorumDecision.Valid>(decision);
        Assert.Equal([0, 1], valid.Agreeing);
        Assert.Empty(valid.Dissenting);
        Assert.Equal(0, valid.Canonical);
    }

    [Fact]
    public void While_enough_replicas_are_out_the_unit_waits()
    {
        Assert.IsType<QuorumDecision.Wait>(Decide(TwoOfTwo, Success(0, "a"), Assigned(1)));
        Assert.IsType<QuorumDecision.Wait>(Decide(TwoOfTwo, Unsent(0), Unsent(1)));
    }

    [Fact]
    public void Disagreement_issues_one_more_replica()
    {
        var decision = Decide(TwoOfTwo, Success(0, "a"), Success(1, "b"));

        Assert.Equal(new QuorumDecision.IssueMore(1), decision);
    }

    [Fact]
    public void A_third_result_that_agrees_settles_a_disagreement_and_the_dissenter_is_invalid()
    {
        var decision = Decide(TwoOfTwo, Success(0, "a"), Success(1, "b"), Success(2, "b"));

        var valid = Assert.IsType<QuorumDecision.Valid>(decision);
        Assert.Equal([1, 2], valid.Agreeing);
        Assert.Equal([0], valid.Dissenting);
        Assert.Equal(1, valid.Canonical);
    }

    [Fact]
    public void An_error_or_timeout_is_replaced_by_a_new_replica()
    {
        Assert.Equal(new QuorumDecision.IssueMore(1), Decide(TwoOfTwo, Success(0, "a"), Error(1)));
        Assert.Equal(new QuorumDecision.IssueMore(1), Decide(TwoOfTwo, Success(0, "a"), TimedOut(1)));
        Assert.Equal(new QuorumDecision.IssueMore(2), Decide(TwoOfTwo, TimedOut(0), TimedOut(1)));
    }

    [Fact]
    public void Too_many_errors_fail_the_unit()
    {
        var decision = Decide(TwoOfTwo, Error(0), Error(1), Error(2));

        var fail = Assert.IsType<QuorumDecision.Fail>(decision);
        Assert.Equal("Replicas of 3 account(s) reported errors; at most 2 are allowed.", fail.Reason);
    }

    [Fact]
    public void Errors_up_to_the_limit_only_ask_for_more_replicas()
    {
        Assert.Equal(new QuorumDecision.IssueMore(2), Decide(TwoOfTwo, Error(0), Error(1)));
    }

    [Fact]
    public void Errors_from_hosts_of_one_account_count_once()
    {
        var account = Guid.Parse("aaaaaaaa-1111-0000-0000-000000000000");
        var oneErrorAllowed = TwoOfTwo with { MaxErrorResults = 1 };

        var decision = Decide(oneErrorAllowed, Error(0) with { AccountId = account }, Error(1) with { AccountId = account });

        Assert.Equal(new QuorumDecision.IssueMore(2), decision);
    }

    [Fact]
    public void Errors_from_two_accounts_count_twice()
    {
        var oneErrorAllowed = TwoOfTwo with { MaxErrorResults = 1 };

        var decision = Decide(oneErrorAllowed,
            Error(0) with { AccountId = Guid.Parse("aaaaaaaa-1111-0000-0000-000000000000") },
            Error(1) with { AccountId = Guid.Parse("bbbbbbbb-1111-0000-0000-000000000000") });

        var fail = Assert.IsType<QuorumDecision.Fail>(decision);
        Assert.Equal("Replicas of 2 account(s) reported errors; at most 1 are allowed.", fail.Reason);
    }

    [Fact]
    public void Errors_of_replicas_issued_before_accounts_existed_count_each()
    {
        // Such replicas were stored without an account: nothing says two of them came from one volunteer.
        var decision = Decide(TwoOfTwo with { MaxErrorResults = 1 }, Error(0), Error(1));

        var fail = Assert.IsType<QuorumDecision.Fail>(decision);
        Assert.Equal("Replicas of 2 account(s) reported errors; at most 1 are allowed.", fail.Reason);
    }

    [Fact]
    public void No_agreement_within_the_total_allowed_fails_the_unit()
    {
        var decision = Decide(TwoOfTwo, Success(0, "a"), Success(1, "b"), Success(2, "c"), Success(3, "d"), Success(4, "e"));

        var fail = Assert.IsType<QuorumDecision.Fail>(decision);
        Assert.Equal("No 2 results agreed within 5 replicas.", fail.Reason);
    }

    [Fact]
    public void At_the_total_limit_a_replica_still_out_is_waited_for()
    {
        var decision = Decide(TwoOfTwo, Success(0, "a"), Success(1, "b"), Success(2, "c"), Success(3, "d"), Assigned(4));

        Assert.IsType<QuorumDecision.Wait>(decision);
    }

    [Fact]
    public void New_replicas_never_exceed_the_total_allowed()
    {
        var redundancy = new Redundancy(TargetResults: 3, MinQuorum: 3, MaxErrorResults: 5, MaxTotalResults: 4);

        Assert.Equal(new QuorumDecision.IssueMore(1), Decide(redundancy, Success(0, "a"), TimedOut(1), TimedOut(2)));
    }

    [Fact]
    public void Quorum_of_one_accepts_a_single_result()
    {
        var valid = Assert.IsType<QuorumDecision.Valid>(Decide(new Redundancy(1, 1, 0, 2), Success(0, "a")));
        Assert.Equal(0, valid.Canonical);
    }

    private static QuorumDecision Decide(Redundancy redundancy, params ReplicaRecord[] replicas) =>
        QuorumPolicy.Decide(redundancy, replicas, DigestComparator.Instance);

    private static readonly Guid JobId = Guid.Parse("00000000-0000-0000-0000-000000000001");

    private static ReplicaRecord Replica(int number, ReplicaState state) =>
        new(JobId, 0, number, state, null, null, null, null, null, null, 0, null, null);

    private static ReplicaRecord Success(int number, string digest) =>
        Replica(number, ReplicaState.Reported) with { Outcome = ReportOutcome.Success, Digest = digest, Size = 1 };

    private static ReplicaRecord Error(int number) =>
        Replica(number, ReplicaState.Reported) with { Outcome = ReportOutcome.Error, Error = "boom" };

    private static ReplicaRecord Assigned(int number) => Replica(number, ReplicaState.Assigned);

    private static ReplicaRecord Unsent(int number) => Replica(number, ReplicaState.Unsent);

    private static ReplicaRecord TimedOut(int number) => Replica(number, ReplicaState.TimedOut);
}
