namespace Volunteer.Protocol;

/// <summary>An account's or a host's credit, granted only for results that matched their unit's canonical result.</summary>
/// <param name="RecentAverage">Credit per day, decaying with a one-week half-life (BOINC's recent average credit).</param>
/// <param name="ValidResults">Results whose credit stands: grants less revocations.</param>
public sealed record CreditSummary(double Total, double RecentAverage, long ValidResults);

/// <summary>A page of the public leaderboard (GET /api/v1/leaderboard).</summary>
/// <param name="By">Who is ranked: "account" or "host".</param>
/// <param name="Order">What ranks them: "total" credit or "recent" average credit, highest first.</param>
/// <param name="Offset">How many ranks come before this page.</param>
/// <param name="Limit">The most entries a page holds; fewer means the board ends here.</param>
public sealed record Leaderboard(string By, string Order, int Offset, int Limit, IReadOnlyList<LeaderboardEntry> Entries);

/// <param name="Rank">1 for the first of the whole board; ties are ranked by id.</param>
/// <param name="Id">The account's id, or the host's worker id.</param>
public sealed record LeaderboardEntry(int Rank, Guid Id, string Name, double Total, double RecentAverage, long ValidResults);

/// <summary>
/// A host flagged for returning more valid results of an app than its cores could compute (GET /api/v1/hosts?flagged=true,
/// with an API key). Every unit it gets is replicated.
/// </summary>
/// <param name="Name">The host's name.</param>
/// <param name="ResultsPerHour">Valid results of the app it returned in the hour before it was flagged.</param>
/// <param name="CapacityPerHour">What its cores could compute in an hour at the app's measured cost per unit.</param>
public sealed record FlaggedHost(
    Guid WorkerId,
    Guid AccountId,
    string Name,
    int Cores,
    string App,
    DateTimeOffset FlaggedAt,
    double ResultsPerHour,
    double CapacityPerHour,
    string Reason);
