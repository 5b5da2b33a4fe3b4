using Microsoft.AspNetCore.Http.HttpResults;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>The public leaderboard: accounts or hosts ranked by their credit, a page at a time.</summary>
public static class LeaderboardApi
{
    public const int DefaultPageSize = 50;

    public const int MaxPageSize = 100;

    /// <summary>Who may be ranked, by the name a request gives.</summary>
    private static readonly Dictionary<string, CreditHolder> Holders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["account"] = CreditHolder.Account,
        ["host"] = CreditHolder.Host,
    };

    /// <summary>What may rank them, by the name a request gives.</summary>
    private static readonly Dictionary<string, CreditOrder> Orders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["total"] = CreditOrder.Total,
        ["recent"] = CreditOrder.RecentAverage,
    };

    public static RouteGroupBuilder MapLeaderboardApi(this IEndpointRouteBuilder routes)
    {
        var leaderboard = routes.MapGroup("/" + Routes.Leaderboard).WithTags("Leaderboard");
        leaderboard.MapGet("/", GetAsync).WithName("GetLeaderboard")
            .WithSummary("Accounts or hosts by total or recent average credit, highest first, a page at a time.");
        return leaderboard;
    }

    private static async Task<Results<Ok<Leaderboard>, ProblemHttpResult>> GetAsync(
        IWorkStore store, TimeProvider time, string? by, string? order, int? offset, int? limit, CancellationToken cancellationToken)
    {
        by ??= "account";
        order ??= "total";
        if (!Holders.TryGetValue(by, out var holder))
        {
            return Problems.BadRequest($"'by' must be one of {string.Join(", ", Holders.Keys)}, not {Problems.Quote(by)}.");
        }
        if (!Orders.TryGetValue(order, out var creditOrder))
        {
            return Problems.BadRequest($"'order' must be one of {string.Join(", ", Orders.Keys)}, not {Problems.Quote(order)}.");
        }
        if (offset is < 0)
        {
            return Problems.BadRequest("'offset' must be 0 or more: the number of ranks before the page.");
        }
        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.BadRequest($"'limit' must be between 1 and {MaxPageSize}.");
        }
        var (skipped, pageSize) = (offset ?? 0, limit ?? DefaultPageSize);
        var entries = await CreditViews.LeaderboardAsync(store, holder, creditOrder, skipped, pageSize, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new Leaderboard(by.ToLowerInvariant(), order.ToLowerInvariant(), skipped, pageSize, entries));
    }
}
