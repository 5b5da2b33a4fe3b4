using Volunteer.Dashboard.Data.Volunteers;

namespace Volunteer.Dashboard.Components.Volunteers;

/// <summary>
/// The points a credit-over-time chart draws: the running total at the window's start (the credit before it), then at
/// the end of each stretch (the last one at the time the history was read). At most <see cref="CreditWindow.MaxHours"/> + 1
/// points, however many results the account returned.
/// </summary>
internal sealed record CreditSeries(IReadOnlyList<DateTimeOffset> Times, IReadOnlyList<double> Credit)
{
    public static CreditSeries Of(CreditHistory history)
    {
        var window = history.Window;
        var added = new double[window.Count];
        foreach (var bucket in history.Buckets)
        {
            var index = (long)((bucket.Start - window.From) / window.Size);
            if (index >= 0 && index < window.Count)
            {
                added[index] += bucket.Amount;
            }
        }
        var times = new List<DateTimeOffset>(window.Count + 1) { window.From };
        var credit = new List<double>(window.Count + 1) { history.CreditBefore };
        var total = history.CreditBefore;
        for (var i = 0; i < window.Count; i++)
        {
            total += added[i];
            var end = window.From + (i + 1) * window.Size;
            times.Add(end < history.At ? end : history.At);
            credit.Add(total);
        }
        return new CreditSeries(times, credit);
    }

    /// <summary>What the window added: the last point less the first.</summary>
    public double Gained => Credit[^1] - Credit[0];

    /// <summary>
    /// Whether <paramref name="other"/> draws the same line: the same stretches with the same credit. The last point's
    /// time moves with every reading, but the chart is sent to the browser again only when the credit changed.
    /// </summary>
    public bool SameAs(CreditSeries other) =>
        Times.Count == other.Times.Count && Times[0] == other.Times[0] && Credit.SequenceEqual(other.Credit);
}
