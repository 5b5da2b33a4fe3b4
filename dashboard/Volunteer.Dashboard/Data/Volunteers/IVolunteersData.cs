using Volunteer.Protocol;

namespace Volunteer.Dashboard.Data.Volunteers;

/// <summary>
/// What the public volunteer pages read: the leaderboard a page at a time, and one volunteer's page. The pages are public
/// and may have many viewers: an implementation computes each page of the board and each volunteer's page at most once
/// per <see cref="RefreshInterval"/> per silo and hands every viewer the same snapshot.
/// </summary>
public interface IVolunteersData
{
    /// <summary>How often the pages read again, and how long one snapshot is shared.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>The ranks of <paramref name="page"/>, highest first, with the names the API shows (no email, no key).</summary>
    Task<Leaderboard> GetLeaderboardAsync(LeaderboardPage page, CancellationToken cancellationToken);

    /// <summary>The account's public page; null if there is no such account.</summary>
    Task<VolunteerDetails?> GetVolunteerAsync(Guid accountId, CancellationToken cancellationToken);
}

/// <summary>Who the board ranks.</summary>
public enum LeaderboardHolders
{
    Accounts,
    Hosts,
}

/// <summary>What the board ranks them by.</summary>
public enum LeaderboardOrder
{
    Total,

    /// <summary>Recent average credit: credit per day, decaying with a one-week half-life (BOINC's RAC).</summary>
    RecentAverage,
}

/// <summary>A page of the board: <paramref name="Limit"/> ranks after the first <paramref name="Offset"/>.</summary>
public sealed record LeaderboardPage(LeaderboardHolders By, LeaderboardOrder Order, int Offset, int Limit = LeaderboardPage.Size)
{
    /// <summary>The ranks a page shows (the API's default page; it allows at most 100).</summary>
    public const int Size = 50;
}

/// <summary>A volunteer's public page: the account as the API shows it, its credit over time, and its latest credit.</summary>
/// <param name="MaxHostsShown">The most hosts <see cref="AccountView.Hosts"/> lists (the oldest).</param>
/// <param name="RecentCredit">The account's latest ledger lines, newest first, at most <see cref="MaxRecentCredit"/>.</param>
public sealed record VolunteerDetails(AccountView Account, CreditHistory History, IReadOnlyList<CreditLine> RecentCredit, int MaxHostsShown)
{
    public const int MaxRecentCredit = 20;
}

/// <summary>
/// An account's credit over time: what its ledger lines added in each stretch of <see cref="CreditWindow"/>, and the credit
/// it had before the window, so that the chart can draw the running total.
/// </summary>
/// <param name="CreditBefore">The account's credit from lines written before the window.</param>
/// <param name="Buckets">The stretches that had lines, oldest first.</param>
/// <param name="At">When this was read: the chart's last point.</param>
public sealed record CreditHistory(CreditWindow Window, double CreditBefore, IReadOnlyList<CreditBucket> Buckets, DateTimeOffset At);

/// <summary>The credit an account's ledger lines added in one stretch (grants less revocations).</summary>
public sealed record CreditBucket(DateTimeOffset Start, double Amount, long ValidResults);

/// <summary>One line of an account's credit ledger as the public may see it.</summary>
/// <param name="At">When it was written.</param>
/// <param name="HostName">The host's name, when it is among the hosts the page lists.</param>
/// <param name="Amount">Positive for a grant, negative when a result accepted alone lost its credit on replication.</param>
public sealed record CreditLine(DateTimeOffset At, Guid WorkerId, string? HostName, Guid JobId, long UnitIndex, double Amount);
