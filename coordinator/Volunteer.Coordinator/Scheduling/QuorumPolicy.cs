using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>What to do with a unit after one of its replicas changed.</summary>
public abstract record QuorumDecision
{
    private QuorumDecision()
    {
    }

    /// <summary>Enough replicas are out (or agreeing results in) to reach quorum; nothing to do.</summary>
    public sealed record Wait : QuorumDecision;

    /// <summary>Quorum reached: <paramref name="Agreeing"/> agree, the first of them is canonical.</summary>
    public sealed record Valid(IReadOnlyList<int> Agreeing, IReadOnlyList<int> Dissenting) : QuorumDecision
    {
        public int Canonical => Agreeing[0];
    }

    /// <summary>Quorum is out of reach with the replicas in play: issue this many more.</summary>
    public sealed record IssueMore(int Count) : QuorumDecision;

    /// <summary>The unit cannot be completed: too many errors, or no agreement within the total allowed.</summary>
    public sealed record Fail(string Reason) : QuorumDecision;
}

/// <summary>
/// Quorum validation of one unit (BOINC's validator + transitioner), as a pure function of the
/// unit's replicas so that every rule is testable on its own.
/// </summary>
public static class QuorumPolicy
{
    public static QuorumDecision Decide(Redundancy redundancy, IReadOnlyList<ReplicaRecord> replicas, IResultComparator comparator)
    {
        // Errors count once per account: one volunteer's hosts reporting errors (or lying that they did) use up
        // one error of the unit's budget, not several.
        var errors = replicas.Where(r => r.IsError).Select(r => r.AccountId ?? Guid.NewGuid()).Distinct().Count();
        if (errors > redundancy.MaxErrorResults)
        {
            return new QuorumDecision.Fail($"Replicas of {errors} account(s) reported errors; at most {redundancy.MaxErrorResults} are allowed.");
        }

        var largestAgreement = LargestAgreement(replicas.Where(r => r.IsUnvalidatedSuccess).ToList(), comparator);
        if (largestAgreement.Count >= redundancy.MinQuorum)
        {
            var agreeing = largestAgreement.Select(r => r.Replica).ToList();
            var dissenting = replicas.Where(r => r.IsUnvalidatedSuccess && !agreeing.Contains(r.Replica)).Select(r => r.Replica).ToList();
            return new QuorumDecision.Valid(agreeing, dissenting);
        }

        var active = replicas.Count(r => r.IsActive);
        var missing = redundancy.MinQuorum - largestAgreement.Count - active;
        if (missing <= 0)
        {
            return new QuorumDecision.Wait();
        }
        var allowed = redundancy.MaxTotalResults - replicas.Count;
        if (allowed > 0)
        {
            return new QuorumDecision.IssueMore(Math.Min(missing, allowed));
        }
        return active > 0
            ? new QuorumDecision.Wait()
            : new QuorumDecision.Fail($"No {redundancy.MinQuorum} results agreed within {redundancy.MaxTotalResults} replicas.");
    }

    /// <summary>The largest set of successful results that agree with each other (earliest set on a tie).</summary>
    private static List<ReplicaRecord> LargestAgreement(List<ReplicaRecord> successes, IResultComparator comparator)
    {
        var groups = new List<List<ReplicaRecord>>();
        foreach (var success in successes)
        {
            var summary = Summary(success);
            var group = groups.FirstOrDefault(g => comparator.Agree(Summary(g[0]), summary));
            if (group is null)
            {
                groups.Add([success]);
            }
            else
            {
                group.Add(success);
            }
        }
        return groups.OrderByDescending(g => g.Count).FirstOrDefault() ?? [];
    }

    private static ResultSummary Summary(ReplicaRecord replica) => new(replica.Digest ?? "", replica.Size, replica.Payload);
}
