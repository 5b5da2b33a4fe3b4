namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// A host's daily quota (BOINC's max results per day): how many replicas it may be issued in one UTC day.
/// Each error, invalid result or missed deadline halves it; each valid result doubles it back, up to the
/// host's full quota. A host that returns garbage is thus slowed down at once, and an honest host that had a
/// bad hour recovers within a few results.
/// </summary>
/// <param name="Quota">Replicas the host may be issued today; at least 1, so it can still prove itself.</param>
/// <param name="IssuedToday">Replicas issued to it since <paramref name="Day"/> began.</param>
public sealed record HostQuotaRecord(Guid WorkerId, int Quota, int IssuedToday, DateTimeOffset Day)
{
    /// <summary>A host never seen before starts with its full quota.</summary>
    public static HostQuotaRecord Fresh(Guid workerId, int fullQuota, DateTimeOffset now) => new(workerId, fullQuota, 0, DayOf(now));

    /// <summary>The quota on the day of <paramref name="now"/>: a new day's count starts again.</summary>
    public HostQuotaRecord AsOf(DateTimeOffset now) => DayOf(now) > Day ? this with { IssuedToday = 0, Day = DayOf(now) } : this;

    /// <summary>Replicas the host may still be issued today.</summary>
    public int Left(DateTimeOffset now) => Math.Max(0, Quota - AsOf(now).IssuedToday);

    public HostQuotaRecord Issue(int count, DateTimeOffset now)
    {
        var today = AsOf(now);
        return today with { IssuedToday = today.IssuedToday + count };
    }

    /// <summary>The quota after these results were judged, halving once per failure after doubling once per success.</summary>
    public HostQuotaRecord Judged(HostTally tally, int fullQuota)
    {
        long quota = Math.Min(Quota, fullQuota);
        for (var i = 0; i < tally.Valid && quota < fullQuota; i++)
        {
            quota = Math.Min(fullQuota, quota * 2);
        }
        for (var i = 0; i < tally.Failures && quota > 1; i++)
        {
            quota = Math.Max(1, quota / 2);
        }
        return this with { Quota = (int)quota };
    }

    private static DateTimeOffset DayOf(DateTimeOffset time) => new(time.UtcDateTime.Date, TimeSpan.Zero);
}
