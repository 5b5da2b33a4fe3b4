namespace Volunteer.Dashboard.Data.Volunteers;

/// <summary>
/// The stretches of time a credit-over-time chart shows: <see cref="Count"/> stretches of <see cref="Size"/> from
/// <see cref="From"/>, the last holding now. An account younger than <see cref="MaxHours"/> hours is shown hour by hour
/// (at least the last <see cref="MinHours"/>); an older one day by day (UTC), over its last <see cref="MaxDays"/> days at
/// most. So a chart never has more than <see cref="MaxHours"/> stretches, however old the account.
/// </summary>
public sealed record CreditWindow(DateTimeOffset From, TimeSpan Size, int Count)
{
    public const int MinHours = 24;

    public const int MaxHours = 120;

    public const int MaxDays = 90;

    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <summary>Where the window ends: the end of the stretch that holds now.</summary>
    public DateTimeOffset To => From + Count * Size;

    public bool Hourly => Size == Hour;

    /// <summary>The window for an account created at <paramref name="createdAt"/>, seen at <paramref name="now"/>.</summary>
    public static CreditWindow For(DateTimeOffset createdAt, DateTimeOffset now)
    {
        var thisHour = Floor(now, Hour);
        var hoursSinceCreation = (int)Math.Min(int.MaxValue, (thisHour - Floor(createdAt, Hour)) / Hour + 1);
        if (hoursSinceCreation <= MaxHours)
        {
            var hours = Math.Max(MinHours, hoursSinceCreation);
            return new CreditWindow(thisHour - (hours - 1) * Hour, Hour, hours);
        }
        var today = Floor(now, Day);
        var days = (int)Math.Min(MaxDays, (today - Floor(createdAt, Day)) / Day + 1);
        return new CreditWindow(today - (days - 1) * Day, Day, days);
    }

    private static DateTimeOffset Floor(DateTimeOffset time, TimeSpan size) =>
        new(time.UtcTicks - time.UtcTicks % size.Ticks, TimeSpan.Zero);
}
