using Volunteer.Dashboard.Data.Volunteers;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests.Volunteers;

/// <summary>The volunteer pages' data as a test sets it: a board of <see cref="Ranked"/> holders, and the volunteers it knows.</summary>
internal sealed class FakeVolunteersData : IVolunteersData
{
    public List<(Guid Id, string Name)> Ranked { get; } = [];

    public Dictionary<Guid, VolunteerDetails> Volunteers { get; } = [];

    public List<LeaderboardPage> PagesAsked { get; } = [];

    public Task<Leaderboard> GetLeaderboardAsync(LeaderboardPage page, CancellationToken cancellationToken)
    {
        PagesAsked.Add(page);
        var entries = Ranked.Skip(page.Offset).Take(page.Limit)
            .Select((holder, i) => new LeaderboardEntry(page.Offset + i + 1, holder.Id, holder.Name, 1000 - page.Offset - i, 10.5, 100 - i))
            .ToList();
        return Task.FromResult(new Leaderboard(page.By == LeaderboardHolders.Hosts ? "host" : "account",
            page.Order == LeaderboardOrder.RecentAverage ? "recent" : "total", page.Offset, page.Limit, entries));
    }

    public Task<VolunteerDetails?> GetVolunteerAsync(Guid accountId, CancellationToken cancellationToken) =>
        Task.FromResult(Volunteers.GetValueOrDefault(accountId));
}
