using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// Credit as anyone may see it, read from the store: the leaderboard and an account with its hosts. The public API and
/// the dashboard's volunteer pages both show these, so they show the same figures.
/// </summary>
internal static class CreditViews
{
    /// <summary>The most hosts an account's public view lists (the oldest).</summary>
    public const int MaxHostsShown = 100;

    /// <summary>The leaderboard's ranks <paramref name="offset"/> + 1 to <paramref name="offset"/> + <paramref name="limit"/>, recent averages as of <paramref name="now"/>.</summary>
    public static async Task<IReadOnlyList<LeaderboardEntry>> LeaderboardAsync(
        IWorkStore store, CreditHolder holder, CreditOrder order, int offset, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var standings = await store.ListCreditStandingsAsync(holder, order, offset, limit, cancellationToken);
        return standings.Select((standing, i) =>
        {
            var credit = standing.Credit;
            return new LeaderboardEntry(offset + i + 1, credit.HolderId, standing.Name, credit.Total, credit.RecentAverage(now), credit.ValidResults);
        }).ToList();
    }

    /// <summary>The account's name, credit and hosts (no email, no key) as of <paramref name="now"/>; null if there is no such account.</summary>
    public static async Task<AccountView?> AccountAsync(IWorkStore store, Guid accountId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await store.FindAccountAsync(accountId, cancellationToken) is not { } account)
        {
            return null;
        }
        var hosts = new List<AccountHostView>();
        foreach (var host in await store.ListAccountWorkersAsync(accountId, MaxHostsShown, cancellationToken))
        {
            var credit = await store.FindCreditTotalAsync(CreditHolder.Host, host.Id, cancellationToken);
            hosts.Add(new AccountHostView(host.Id, host.Name, host.Cores, host.CreatedAt, CreditOf(credit, now)));
        }
        var accountCredit = await store.FindCreditTotalAsync(CreditHolder.Account, accountId, cancellationToken);
        return new AccountView(account.Id, account.Name, account.CreatedAt, CreditOf(accountCredit, now), hosts);
    }

    /// <summary>A holder's credit as of <paramref name="now"/>; none before its first validated result.</summary>
    private static CreditSummary CreditOf(CreditTotalRecord? credit, DateTimeOffset now) =>
        credit is null ? new(0, 0, 0) : new(credit.Total, credit.RecentAverage(now), credit.ValidResults);
}
