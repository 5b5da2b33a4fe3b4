using Volunteer.Dashboard.Components.Volunteers;
using Volunteer.Dashboard.Data.Volunteers;

namespace Volunteer.Dashboard.Tests.Volunteers;

public sealed class CreditHistoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 20, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_account_is_shown_hour_by_hour_over_the_last_day()
    {
        var window = CreditWindow.For(Now.AddMinutes(-5), Now);

        Assert.Equal(new CreditWindow(new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero), CreditWindow.Hour, 24), window);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero), window.To);
    }

    [Fact]
    public void An_account_of_a_few_days_is_shown_hour_by_hour_since_it_joined()
    {
        var window = CreditWindow.For(new DateTimeOffset(2026, 11, 22, 8, 59, 0, TimeSpan.Zero), Now);

        // 08:00 on the 22nd to the hour holding now (12:00 on the 25th): 77 hours.
        Assert.Equal(new CreditWindow(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero), CreditWindow.Hour, 77), window);
    }

    [Fact]
    public void An_older_account_is_shown_day_by_day_over_at_most_ninety_days()
    {
        var weekOld = CreditWindow.For(Now.AddDays(-7), Now);
        var yearOld = CreditWindow.For(Now.AddYears(-1), Now);

        Assert.Equal(new CreditWindow(new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero), CreditWindow.Day, 8), weekOld);
        Assert.Equal(new CreditWindow(new DateTimeOffset(2026, 8, 28, 0, 0, 0, TimeSpan.Zero), CreditWindow.Day, CreditWindow.MaxDays), yearOld);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero), yearOld.To);
    }

    [Fact]
    public void The_chart_draws_the_running_total_from_the_credit_before_the_window()
    {
        var from = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        var history = new CreditHistory(new CreditWindow(from, CreditWindow.Day, 4), CreditBefore: 100,
            [new CreditBucket(from, 10, 2), new CreditBucket(from.AddDays(2), -2.5, -1), new CreditBucket(from.AddDays(3), 5, 1)],
            At: from.AddDays(3).AddHours(12));

        var series = CreditSeries.Of(history);

        // The start, the end of each day, and now in place of the end of the day still under way.
        Assert.Equal([from, from.AddDays(1), from.AddDays(2), from.AddDays(3), from.AddDays(3).AddHours(12)], series.Times);
        Assert.Equal([100, 110, 110, 107.5, 112.5], series.Credit);
        Assert.Equal(12.5, series.Gained);
    }

    [Fact]
    public void A_stretch_outside_the_window_is_not_drawn()
    {
        var from = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        var history = new CreditHistory(new CreditWindow(from, CreditWindow.Hour, 2), 0,
            [new CreditBucket(from.AddHours(-1), 50, 1), new CreditBucket(from.AddHours(1), 3, 1), new CreditBucket(from.AddHours(2), 7, 1)],
            from.AddHours(2));

        Assert.Equal([0, 0, 3], CreditSeries.Of(history).Credit);
    }

    [Fact]
    public void The_chart_is_sent_again_only_when_the_credit_changed()
    {
        var from = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        var window = new CreditWindow(from, CreditWindow.Hour, 24);
        var earlier = CreditSeries.Of(new CreditHistory(window, 5, [new CreditBucket(from, 1, 1)], from.AddHours(23).AddMinutes(1)));
        var later = CreditSeries.Of(new CreditHistory(window, 5, [new CreditBucket(from, 1, 1)], from.AddHours(23).AddMinutes(2)));
        var more = CreditSeries.Of(new CreditHistory(window, 5, [new CreditBucket(from, 1, 1), new CreditBucket(from.AddHours(23), 1, 1)],
            from.AddHours(23).AddMinutes(3)));

        Assert.True(earlier.SameAs(later));
        Assert.False(later.SameAs(more));
        Assert.Equal(25, more.Times.Count);
    }
}
