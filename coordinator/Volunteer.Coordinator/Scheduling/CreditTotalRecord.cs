namespace Volunteer.Coordinator.Scheduling;

/// <summary>Who credit totals are kept for.</summary>
public enum CreditHolder
{
    Account,
    Host,
}

/// <summary>
/// An account's or a host's credit: its total, its valid results and its recent average (exponential decay, one-week
/// half-life), kept incrementally from the ledger lines as they are written, never by scanning the ledger. In a
/// <see cref="WorkBatch"/> the store adds each line to both holders' rows in the line's own commit.
/// </summary>
/// <param name="DecayedCredit">
/// The ledger's amounts each weighted by <see cref="CreditDecay.Weight"/> of when it was earned: a plain sum, so
/// that lines add up in any order; <see cref="CreditDecay.RecentAverage"/> turns it into credit per day.
/// </param>
/// <param name="ValidResults">Grants less revocations: results whose credit stands.</param>
public sealed record CreditTotalRecord(
    CreditHolder Holder,
    Guid HolderId,
    double Total,
    double DecayedCredit,
    long ValidResults,
    DateTimeOffset UpdatedAt)
{
    public double RecentAverage(DateTimeOffset now) => CreditDecay.RecentAverage(DecayedCredit, now);

    /// <summary>The rows a ledger line adds to: its account's and its host's.</summary>
    public static IEnumerable<CreditTotalRecord> Of(CreditEntryRecord line)
    {
        var decayed = line.Amount * CreditDecay.Weight(line.EarnedAt);
        var results = Math.Sign(line.Amount);
        yield return new CreditTotalRecord(CreditHolder.Account, line.AccountId, line.Amount, decayed, results, line.At);
        yield return new CreditTotalRecord(CreditHolder.Host, line.WorkerId, line.Amount, decayed, results, line.At);
    }

    /// <summary>This row with another stretch of the same holder's lines added.</summary>
    public CreditTotalRecord Plus(CreditTotalRecord other) => this with
    {
        Total = Total + other.Total,
        DecayedCredit = DecayedCredit + other.DecayedCredit,
        ValidResults = ValidResults + other.ValidResults,
        UpdatedAt = other.UpdatedAt > UpdatedAt ? other.UpdatedAt : UpdatedAt,
    };
}

/// <summary>
/// Recent average credit as BOINC keeps it: credit per day, decaying with a one-week half-life. Each amount is
/// stored multiplied by 2^((earned - <see cref="Origin"/>) / half-life) instead of decaying the stored sum at each
/// write, so that concurrent writers only add (no read, no exponent in SQL); the average at any time is that sum
/// scaled back by the same factor. A double holds the weights until 2^1000, some 19 years past the origin.
/// </summary>
public static class CreditDecay
{
    public static readonly DateTimeOffset Origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan HalfLife = TimeSpan.FromDays(7);

    public static double Weight(DateTimeOffset earnedAt) => Math.Pow(2, (earnedAt - Origin) / HalfLife);

    /// <summary>
    /// Credit per day: the decayed sum as of <paramref name="now"/>, times ln 2 per half-life in days, which is what a
    /// steady rate of credit per day converges to.
    /// </summary>
    public static double RecentAverage(double decayedCredit, DateTimeOffset now) =>
        decayedCredit / Weight(now) * Math.Log(2) / HalfLife.TotalDays;
}
