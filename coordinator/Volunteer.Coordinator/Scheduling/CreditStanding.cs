namespace Volunteer.Coordinator.Scheduling;

/// <summary>What the leaderboard ranks by.</summary>
public enum CreditOrder
{
    Total,

    /// <summary>Recent average credit: at any one moment it ranks as <see cref="CreditTotalRecord.DecayedCredit"/> does.</summary>
    RecentAverage,
}

/// <summary>A holder's credit with the name it is shown under (the account's, or the host's).</summary>
public sealed record CreditStanding(CreditTotalRecord Credit, string Name);
