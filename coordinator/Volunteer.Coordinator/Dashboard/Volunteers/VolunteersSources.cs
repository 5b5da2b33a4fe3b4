using Volunteer.Coordinator.Api;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Dashboard.Data.Volunteers;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Dashboard.Volunteers;

/// <summary>The public volunteer pages' figures: the leaderboard and the account views the API shows, and credit over time.</summary>
internal static class VolunteersSources
{
    public static IServiceCollection AddVolunteersSources(this IServiceCollection services) =>
        services.AddSingleton<IVolunteersData, VolunteersData>();
}

/// <summary>
/// Reads what the API reads (<see cref="CreditViews"/>), once per page of the board or per account per
/// <see cref="IVolunteersData.RefreshInterval"/> on this silo, shared by every viewer.
/// </summary>
internal sealed class VolunteersData(IWorkStore store, TimeProvider time) : IVolunteersData
{
    /// <summary>Pages of the board kept: every view and order of the first pages, with room for readers further down.</summary>
    public const int BoardPagesKept = 64;

    /// <summary>Volunteers' pages kept: one is at most 100 hosts, 120 stretches and 20 lines.</summary>
    public const int VolunteersKept = 128;

    private readonly SharedSnapshots<LeaderboardPage, Leaderboard> _board = new(time, IVolunteersData.RefreshInterval, BoardPagesKept);
    private readonly SharedSnapshots<Guid, VolunteerDetails?> _volunteers = new(time, IVolunteersData.RefreshInterval, VolunteersKept);

    public Task<Leaderboard> GetLeaderboardAsync(LeaderboardPage page, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page.Offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(page.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(page.Limit, LeaderboardApi.MaxPageSize);
        return _board.GetAsync(page, ReadBoardAsync, cancellationToken);
    }

    public Task<VolunteerDetails?> GetVolunteerAsync(Guid accountId, CancellationToken cancellationToken) =>
        _volunteers.GetAsync(accountId, ReadVolunteerAsync, cancellationToken);

    private async Task<Leaderboard> ReadBoardAsync(LeaderboardPage page)
    {
        var holder = page.By == LeaderboardHolders.Hosts ? CreditHolder.Host : CreditHolder.Account;
        var order = page.Order == LeaderboardOrder.RecentAverage ? CreditOrder.RecentAverage : CreditOrder.Total;
        var entries = await CreditViews.LeaderboardAsync(store, holder, order, page.Offset, page.Limit, time.GetUtcNow(), CancellationToken.None);
        // Named as the API names them (by=account|host, order=total|recent).
        return new Leaderboard(holder == CreditHolder.Host ? "host" : "account", order == CreditOrder.RecentAverage ? "recent" : "total",
            page.Offset, page.Limit, entries);
    }

    private async Task<VolunteerDetails?> ReadVolunteerAsync(Guid accountId)
    {
        if (await store.FindAccountAsync(accountId) is not { } account)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var window = CreditWindow.For(account.CreatedAt, now);
        var buckets = await store.ListCreditBucketsAsync(CreditHolder.Account, accountId, window.From, window.Size, window.Count);
        var lines = await store.ListCreditEntriesAsync(CreditHolder.Account, accountId, VolunteerDetails.MaxRecentCredit);
        // Read after the stretches, so the account's total holds at least every line they added up: the credit before
        // the window is what the total has beyond them, and the chart's last point is the total shown beside it.
        if (await CreditViews.AccountAsync(store, accountId, now, CancellationToken.None) is not { } view)
        {
            return null;
        }
        var hostNames = view.Hosts.ToDictionary(h => h.WorkerId, h => h.Name);
        var history = new CreditHistory(window, view.Credit.Total - buckets.Sum(b => b.Amount),
            [.. buckets.Select(b => new CreditBucket(b.Start, b.Amount, b.ValidResults))], now);
        var recent = lines.Select(l => new CreditLine(l.At, l.WorkerId, hostNames.GetValueOrDefault(l.WorkerId), l.JobId, l.UnitIndex, l.Amount)).ToList();
        return new VolunteerDetails(view, history, recent, CreditViews.MaxHostsShown);
    }
}
